//! A chatbot's flow: an ordered list of steps — messages, questions (text, email, phone, number,
//! single choice with branching, multiple choice) whose answers can fill contact fields or
//! custom fields, a scheduling step bound to a booking calendar, and an end. Parsed from the JSON
//! a client sends to the setup extension, with a message per mistake; then walked one answer at
//! a time, with each answer checked against its question.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{email, phone, settings::is_field_name, Invalid};

/// Contact fields an answer may fill (besides custom fields by name). `name` is split into
/// first and last name.
pub const CONTACT_FIELDS: [&str; 12] = [
    "name",
    "first_name",
    "last_name",
    "email",
    "mobile_phone",
    "phone",
    "company",
    "job_title",
    "city",
    "country",
    "employees",
    "company_size",
];

pub const ANSWER_KINDS: [&str; 4] = ["text", "email", "phone", "number"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub label: String,
    /// The step this choice leads to; the next step in order when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StepKind {
    Message,
    Question {
        /// `text`, `email`, `phone` or `number`.
        answer: String,
    },
    SingleChoice {
        options: Vec<Choice>,
    },
    MultipleChoice {
        options: Vec<String>,
    },
    /// Offers the free times of a booking calendar and books one.
    Schedule {
        booking_calendar: String,
    },
    End,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    pub id: String,
    pub text: String,
    #[serde(flatten)]
    pub kind: StepKind,
    /// Where the answer goes: a contact field or a custom field's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maps_to: Option<String>,
    /// The answer's `internal_label` in the conversation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_label: Option<String>,
    /// The step after this one; the next in order when absent (choices may branch instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

impl Step {
    /// Whether the visitor answers this step (a message or an end does not wait).
    pub fn waits(&self) -> bool {
        !matches!(self.kind, StepKind::Message | StepKind::End)
    }

    /// OnceHub's `interaction_label` for the client-side `button_clicked` event.
    pub fn interaction_label(&self) -> &'static str {
        match &self.kind {
            StepKind::Message => "message",
            StepKind::Question { .. } => "text_input",
            StepKind::SingleChoice { .. } => "single_choice",
            StepKind::MultipleChoice { .. } => "multiple_choice",
            StepKind::Schedule { .. } => "schedule",
            StepKind::End => "end",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub steps: Vec<Step>,
}

/// Where the flow goes after an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Step(String),
    /// Past the last step: the conversation is over.
    Done,
}

fn p(i: usize, field: &str) -> String {
    format!("flow.steps[{i}].{field}")
}

fn text(v: &Value, key: &str, param: String) -> Result<Option<String>, Invalid> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Invalid::new(format!("{key} must be a string."), param)),
    }
}

impl Flow {
    /// Parses and checks a flow: unique step ids, known types, options where needed, every
    /// `next` naming a step, fields an answer may fill.
    pub fn parse(v: &Value) -> Result<Flow, Invalid> {
        let items = v
            .get("steps")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty() && a.len() <= 100)
            .ok_or_else(|| Invalid::new("flow.steps must list 1 to 100 steps.", "flow.steps"))?;
        let mut steps: Vec<Step> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            if !item.is_object() {
                return Err(Invalid::new(
                    "Each step must be an object.",
                    format!("flow.steps[{i}]"),
                ));
            }
            let id = text(item, "id", p(i, "id"))?.unwrap_or_else(|| format!("step{}", i + 1));
            if !is_field_name(&id) || steps.iter().any(|s| s.id == id) {
                return Err(Invalid::new(
                    format!("Invalid step id: '{id}'. Ids are unique lowercase names."),
                    p(i, "id"),
                ));
            }
            let kind_name = text(item, "type", p(i, "type"))?
                .ok_or_else(|| Invalid::new("type is required.", p(i, "type")))?;
            let step_text = text(item, "text", p(i, "text"))?.unwrap_or_default();
            if step_text.len() > 2000 {
                return Err(Invalid::new(
                    "text is limited to 2000 characters.",
                    p(i, "text"),
                ));
            }
            let kind = match kind_name.as_str() {
                "message" => StepKind::Message,
                "end" => StepKind::End,
                "question" => {
                    let answer = text(item, "answer", p(i, "answer"))?.unwrap_or_else(|| "text".into());
                    if !ANSWER_KINDS.contains(&answer.as_str()) {
                        return Err(Invalid::new(
                            format!("Invalid answer type: '{answer}'. Use text, email, phone or number."),
                            p(i, "answer"),
                        ));
                    }
                    StepKind::Question { answer }
                }
                "single_choice" => {
                    let options = item.get("options").and_then(Value::as_array).filter(|a| !a.is_empty() && a.len() <= 20);
                    let options = options.ok_or_else(|| Invalid::new("A single choice needs 1 to 20 options.", p(i, "options")))?;
                    let mut out = Vec::new();
                    for o in options {
                        let choice = match o {
                            Value::String(label) => Choice { label: label.clone(), next: None },
                            Value::Object(_) => Choice {
                                label: text(o, "label", p(i, "options"))?.unwrap_or_default(),
                                next: text(o, "next", p(i, "options"))?,
                            },
                            _ => return Err(Invalid::new("Options are labels or {label, next}.", p(i, "options"))),
                        };
                        if choice.label.trim().is_empty() || out.iter().any(|c: &Choice| c.label == choice.label) {
                            return Err(Invalid::new("Option labels are distinct and not empty.", p(i, "options")));
                        }
                        out.push(choice);
                    }
                    StepKind::SingleChoice { options: out }
                }
                "multiple_choice" => {
                    let options: Option<Vec<String>> = item
                        .get("options")
                        .and_then(Value::as_array)
                        .filter(|a| !a.is_empty() && a.len() <= 20)
                        .and_then(|a| a.iter().map(|o| o.as_str().map(str::to_string)).collect());
                    StepKind::MultipleChoice {
                        options: options.ok_or_else(|| Invalid::new("A multiple choice needs 1 to 20 option labels.", p(i, "options")))?,
                    }
                }
                "schedule" => StepKind::Schedule {
                    booking_calendar: text(item, "booking_calendar", p(i, "booking_calendar"))?
                        .filter(|c| c.starts_with("BKC-"))
                        .ok_or_else(|| Invalid::new("A schedule step names its booking calendar (BKC-…).", p(i, "booking_calendar")))?,
                },
                other => {
                    return Err(Invalid::new(
                        format!("Invalid step type: '{other}'. Use message, question, single_choice, multiple_choice, schedule or end."),
                        p(i, "type"),
                    ))
                }
            };
            let maps_to = text(item, "maps_to", p(i, "maps_to"))?;
            if let Some(m) = &maps_to {
                let answered = matches!(
                    kind,
                    StepKind::Question { .. }
                        | StepKind::SingleChoice { .. }
                        | StepKind::MultipleChoice { .. }
                );
                if !answered || !(CONTACT_FIELDS.contains(&m.as_str()) || is_field_name(m)) {
                    return Err(Invalid::new(
                        format!("Invalid maps_to: '{m}'. Questions map to a contact field or a custom field name."),
                        p(i, "maps_to"),
                    ));
                }
            }
            let internal_label = text(item, "internal_label", p(i, "internal_label"))?;
            let next = text(item, "next", p(i, "next"))?;
            if let Some(k) = item.as_object().and_then(|o| {
                o.keys().find(|k| {
                    ![
                        "id",
                        "type",
                        "text",
                        "answer",
                        "options",
                        "booking_calendar",
                        "maps_to",
                        "internal_label",
                        "next",
                    ]
                    .contains(&k.as_str())
                })
            }) {
                return Err(Invalid::new(
                    format!("Received unknown parameter: {k}"),
                    format!("flow.steps[{i}]"),
                ));
            }
            steps.push(Step {
                id,
                text: step_text,
                kind,
                maps_to,
                internal_label,
                next,
            });
        }
        let flow = Flow { steps };
        for (i, s) in flow.steps.iter().enumerate() {
            let mut targets: Vec<&String> = s.next.iter().collect();
            if let StepKind::SingleChoice { options } = &s.kind {
                targets.extend(options.iter().filter_map(|c| c.next.as_ref()));
            }
            if let Some(t) = targets.into_iter().find(|t| flow.step(t).is_none()) {
                return Err(Invalid::new(
                    format!("No step '{t}' to go to."),
                    p(i, "next"),
                ));
            }
        }
        Ok(flow)
    }

    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn first(&self) -> &Step {
        &self.steps[0]
    }

    /// The booking calendars the flow books on.
    pub fn calendars(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|s| {
                if let StepKind::Schedule { booking_calendar } = &s.kind {
                    Some(booking_calendar.as_str())
                } else {
                    None
                }
            })
            .collect()
    }

    /// The step after `id` when nothing branches.
    fn following(&self, id: &str) -> Next {
        let step = self.step(id);
        if let Some(n) = step.and_then(|s| s.next.clone()) {
            return Next::Step(n);
        }
        if matches!(step.map(|s| &s.kind), Some(StepKind::End)) {
            return Next::Done;
        }
        match self
            .steps
            .iter()
            .position(|s| s.id == id)
            .and_then(|i| self.steps.get(i + 1))
        {
            Some(s) => Next::Step(s.id.clone()),
            None => Next::Done,
        }
    }

    /// Checks the visitor's answer to step `id` and says where the flow goes. `values` is one
    /// value, or several for a multiple choice. A schedule step is answered by booking (its
    /// value is the booking id) and a message by moving on (no value).
    pub fn answer(&self, id: &str, values: &[String]) -> Result<(Vec<String>, Next), Invalid> {
        let step = self
            .step(id)
            .ok_or_else(|| Invalid::new(format!("No step '{id}' in this flow."), "step"))?;
        let one = || {
            values
                .first()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let kept = match &step.kind {
            StepKind::Message => vec![],
            StepKind::End => return Ok((vec![], Next::Done)),
            StepKind::Question { answer } => {
                let v =
                    one().ok_or_else(|| Invalid::new("Please answer the question.", "value"))?;
                let ok = match answer.as_str() {
                    "email" => email::is_valid(&v),
                    "phone" => phone::is_possible(&v),
                    "number" => v.parse::<f64>().is_ok_and(f64::is_finite),
                    _ => v.chars().count() <= 1000,
                };
                if !ok {
                    let what = match answer.as_str() {
                        "email" => "an email address",
                        "phone" => "a phone number with its country code, e.g. +15551234567",
                        "number" => "a number",
                        _ => "at most 1000 characters",
                    };
                    return Err(Invalid::new(format!("Please enter {what}."), "value"));
                }
                // A phone number is kept in E.164, whatever separators the visitor typed.
                vec![if answer == "phone" {
                    phone::parse(&v).unwrap_or(v)
                } else {
                    v
                }]
            }
            StepKind::SingleChoice { options } => {
                let v = one().ok_or_else(|| Invalid::new("Please choose an option.", "value"))?;
                let choice = options
                    .iter()
                    .find(|c| c.label == v)
                    .ok_or_else(|| Invalid::new(format!("Not an option: '{v}'"), "value"))?;
                if let Some(n) = &choice.next {
                    return Ok((vec![v], Next::Step(n.clone())));
                }
                vec![v]
            }
            StepKind::MultipleChoice { options } => {
                let picked: Vec<String> = values
                    .iter()
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .collect();
                if picked.is_empty() {
                    return Err(Invalid::new("Please choose at least one option.", "value"));
                }
                if let Some(bad) = picked.iter().find(|v| !options.contains(v)) {
                    return Err(Invalid::new(format!("Not an option: '{bad}'"), "value"));
                }
                picked
            }
            StepKind::Schedule { .. } => {
                vec![one().ok_or_else(|| Invalid::new("Please choose a time.", "value"))?]
            }
        };
        Ok((kept, self.following(id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn flow() -> Flow {
        Flow::parse(&json!({"steps": [
            {"id": "hello", "type": "message", "text": "Hi!"},
            {"id": "email", "type": "question", "answer": "email", "text": "Your email?", "maps_to": "email", "internal_label": "Email"},
            {"id": "size", "type": "single_choice", "text": "Team size?", "options": [{"label": "1-10", "next": "bye"}, "11+"], "maps_to": "company_size"},
            {"id": "topics", "type": "multiple_choice", "text": "Topics?", "options": ["Pricing", "Demo"], "maps_to": "topics"},
            {"id": "book", "type": "schedule", "text": "Pick a time", "booking_calendar": "BKC-1"},
            {"id": "bye", "type": "end", "text": "Thanks!"}
        ]}))
        .unwrap()
    }

    #[test]
    fn the_flow_follows_the_order_unless_a_choice_branches() {
        let f = flow();
        assert_eq!(f.first().id, "hello");
        assert_eq!(
            f.answer("hello", &[]).unwrap().1,
            Next::Step("email".into())
        );
        assert_eq!(
            f.answer("email", &["a@example.com".into()]).unwrap(),
            (vec!["a@example.com".into()], Next::Step("size".into()))
        );
        assert_eq!(
            f.answer("size", &["1-10".into()]).unwrap().1,
            Next::Step("bye".into()),
            "a choice may branch"
        );
        assert_eq!(
            f.answer("size", &["11+".into()]).unwrap().1,
            Next::Step("topics".into())
        );
        assert_eq!(
            f.answer("topics", &["Demo".into(), "Pricing".into()])
                .unwrap()
                .0,
            vec!["Demo", "Pricing"]
        );
        assert_eq!(
            f.answer("book", &["BKNG-1".into()]).unwrap().1,
            Next::Step("bye".into())
        );
        assert_eq!(f.answer("bye", &[]).unwrap().1, Next::Done);
        assert_eq!(f.calendars(), ["BKC-1"]);
    }

    #[test]
    fn answers_are_checked_against_their_question() {
        let f = flow();
        assert_eq!(
            f.answer("email", &["nope".into()]).unwrap_err().message,
            "Please enter an email address."
        );
        assert!(f.answer("email", &[]).is_err());
        assert!(f.answer("size", &["12".into()]).is_err());
        assert!(f.answer("topics", &["Other".into()]).is_err());
        assert!(f.answer("topics", &[]).is_err());
        assert!(f.answer("nowhere", &[]).is_err());
        let phone = Flow::parse(&json!({"steps": [{"type": "question", "answer": "phone", "text": "Phone?"}, {"type": "question", "answer": "number", "text": "How many?"}]})).unwrap();
        assert!(phone.answer("step1", &["12".into()]).is_err());
        assert!(phone.answer("step1", &["+12025550195".into()]).is_ok());
        // The API's phone rule: possible numbers, kept in E.164; OnceHub's bad example refused.
        assert_eq!(
            phone
                .answer("step1", &["+1 555-123-4567".into()])
                .unwrap()
                .0,
            vec!["+15551234567"]
        );
        assert!(phone.answer("step1", &["+91999999".into()]).is_err());
        assert!(phone.answer("step2", &["ten".into()]).is_err());
        assert_eq!(
            phone.answer("step2", &["10".into()]).unwrap().1,
            Next::Done,
            "past the last step"
        );
    }

    #[test]
    fn bad_flows_are_refused_with_their_place() {
        for (bad, param) in [
            (json!({"steps": []}), "flow.steps"),
            (json!({"steps": [{"type": "dance"}]}), "flow.steps[0].type"),
            (
                json!({"steps": [{"id": "a", "type": "end"}, {"id": "a", "type": "end"}]}),
                "flow.steps[1].id",
            ),
            (
                json!({"steps": [{"type": "single_choice", "options": []}]}),
                "flow.steps[0].options",
            ),
            (
                json!({"steps": [{"type": "message", "next": "ghost"}]}),
                "flow.steps[0].next",
            ),
            (
                json!({"steps": [{"type": "single_choice", "options": [{"label": "x", "next": "ghost"}]}]}),
                "flow.steps[0].next",
            ),
            (
                json!({"steps": [{"type": "schedule"}]}),
                "flow.steps[0].booking_calendar",
            ),
            (
                json!({"steps": [{"type": "message", "maps_to": "email"}]}),
                "flow.steps[0].maps_to",
            ),
            (
                json!({"steps": [{"type": "question", "maps_to": "Bad Name"}]}),
                "flow.steps[0].maps_to",
            ),
            (
                json!({"steps": [{"type": "question", "answer": "date"}]}),
                "flow.steps[0].answer",
            ),
            (
                json!({"steps": [{"type": "end", "colour": "red"}]}),
                "flow.steps[0]",
            ),
        ] {
            assert_eq!(
                Flow::parse(&bad).unwrap_err().param.as_deref(),
                Some(param),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_flow_reads_back_as_it_was_given() {
        let f = flow();
        let back = Flow::parse(&serde_json::to_value(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }
}

/// Where a conversation stands: a visitor is talking (`started`), the bot reached its end or a
/// booking (`closed`), or the visitor went quiet (`abandoned`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationStatus {
    Started,
    Closed,
    Abandoned,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 3] = [
        ConversationStatus::Started,
        ConversationStatus::Closed,
        ConversationStatus::Abandoned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConversationStatus::Started => "started",
            ConversationStatus::Closed => "closed",
            ConversationStatus::Abandoned => "abandoned",
        }
    }

    pub fn parse(s: &str) -> Option<ConversationStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}
