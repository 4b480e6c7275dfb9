//! The booking lifecycle in one place: which action is allowed in which status, the status it
//! leads to, and the webhook event it emits (OnceHub's rules, REFERENCE §3.2).

/// A booking's status, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Requested,
    Scheduled,
    Rescheduled,
    Completed,
    Canceled,
    NoShow,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Requested,
        Status::Scheduled,
        Status::Rescheduled,
        Status::Completed,
        Status::Canceled,
        Status::NoShow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Scheduled => "scheduled",
            Status::Rescheduled => "rescheduled",
            Status::Completed => "completed",
            Status::Canceled => "canceled",
            Status::NoShow => "no_show",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a booking in this status holds its host's time.
    pub fn holds_time(self) -> bool {
        matches!(
            self,
            Status::Requested | Status::Scheduled | Status::Rescheduled
        )
    }
}

/// Who acted, for `cancel_reschedule_information.actioned_by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User,
    Customer,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::User => "user",
            Actor::Customer => "customer",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A guest books; pages that need approval create a request instead.
    Schedule {
        approval_required: bool,
    },
    /// The user accepts a request. A request that reschedules an earlier booking becomes a
    /// reschedule, named by whether the host stayed the same.
    Approve {
        reschedule_of_same_host: Option<bool>,
    },
    /// The user turns a request down.
    Decline,
    Cancel(Actor),
    /// The user cancels and asks the guest to book again.
    RequestReschedule,
    /// The guest moves the booking: the old one ends with this action, the new one is created
    /// by `Rebook`.
    RescheduleAway,
    /// The new booking of a guest's reschedule, with the same host or not.
    Rebook {
        same_host: bool,
        approval_required: bool,
    },
    Reassign,
    /// The end time has passed.
    Complete,
    NoShow,
}

/// What an action does: the status after it, and the event it emits (if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub status: Status,
    pub event: Option<&'static str>,
}

/// Why an action is refused in the booking's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotAllowed;

fn to(status: Status, event: Option<&'static str>) -> Result<Transition, NotAllowed> {
    Ok(Transition { status, event })
}

/// The transition `action` makes from `current` (`None` for a booking not yet created).
pub fn apply(current: Option<Status>, action: Action) -> Result<Transition, NotAllowed> {
    use Status::*;
    let live = matches!(current, Some(Scheduled | Rescheduled));
    match action {
        Action::Schedule { approval_required } if current.is_none() => {
            if approval_required {
                to(Requested, None)
            } else {
                to(Scheduled, Some("booking.scheduled"))
            }
        }
        Action::Rebook {
            same_host,
            approval_required,
        } if current.is_none() => match (approval_required, same_host) {
            (true, _) => to(Requested, None),
            (false, true) => to(Rescheduled, Some("booking.rescheduled")),
            (false, false) => to(Scheduled, Some("booking.canceled_then_rescheduled")),
        },
        Action::Approve {
            reschedule_of_same_host,
        } if current == Some(Requested) => match reschedule_of_same_host {
            None => to(Scheduled, Some("booking.scheduled")),
            Some(true) => to(Rescheduled, Some("booking.rescheduled")),
            Some(false) => to(Scheduled, Some("booking.canceled_then_rescheduled")),
        },
        Action::Decline if current == Some(Requested) => to(Canceled, None),
        Action::Cancel(_) if live || current == Some(Requested) => {
            to(Canceled, Some("booking.canceled"))
        }
        Action::RequestReschedule if live => {
            to(Canceled, Some("booking.canceled_reschedule_requested"))
        }
        Action::RescheduleAway if live => to(Canceled, None),
        Action::Reassign if live => to(current.unwrap_or(Scheduled), Some("booking.reassigned")),
        Action::Complete if live => to(Completed, Some("booking.completed")),
        Action::NoShow if current == Some(Completed) => to(NoShow, Some("booking.no_show")),
        _ => Err(NotAllowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn scheduling_emits_scheduled_unless_approval_is_required() {
        assert_eq!(
            apply(
                None,
                Action::Schedule {
                    approval_required: false
                }
            ),
            Ok(Transition {
                status: Scheduled,
                event: Some("booking.scheduled")
            })
        );
        assert_eq!(
            apply(
                None,
                Action::Schedule {
                    approval_required: true
                }
            ),
            Ok(Transition {
                status: Requested,
                event: None
            }),
            "a request emits nothing"
        );
        let approve = Action::Approve {
            reschedule_of_same_host: None,
        };
        assert_eq!(
            apply(Some(Requested), approve),
            Ok(Transition {
                status: Scheduled,
                event: Some("booking.scheduled")
            })
        );
        let approve_move = |same| Action::Approve {
            reschedule_of_same_host: Some(same),
        };
        assert_eq!(
            apply(Some(Requested), approve_move(true)).unwrap(),
            Transition {
                status: Rescheduled,
                event: Some("booking.rescheduled")
            }
        );
        assert_eq!(
            apply(Some(Requested), approve_move(false)).unwrap().event,
            Some("booking.canceled_then_rescheduled")
        );
        assert_eq!(apply(Some(Requested), Action::Decline).unwrap().event, None);
        assert!(apply(Some(Scheduled), approve).is_err());
        assert!(apply(
            Some(Scheduled),
            Action::Schedule {
                approval_required: false
            }
        )
        .is_err());
    }

    #[test]
    fn reschedules_name_the_event_by_host() {
        assert_eq!(
            apply(Some(Scheduled), Action::RescheduleAway),
            Ok(Transition {
                status: Canceled,
                event: None
            }),
            "the old booking ends silently"
        );
        assert_eq!(
            apply(
                None,
                Action::Rebook {
                    same_host: true,
                    approval_required: false
                }
            )
            .unwrap(),
            Transition {
                status: Rescheduled,
                event: Some("booking.rescheduled")
            }
        );
        assert_eq!(
            apply(
                None,
                Action::Rebook {
                    same_host: false,
                    approval_required: false
                }
            )
            .unwrap()
            .event,
            Some("booking.canceled_then_rescheduled")
        );
        assert_eq!(
            apply(
                None,
                Action::Rebook {
                    same_host: true,
                    approval_required: true
                }
            )
            .unwrap(),
            Transition {
                status: Requested,
                event: None
            }
        );
        assert_eq!(
            apply(Some(Rescheduled), Action::RequestReschedule)
                .unwrap()
                .event,
            Some("booking.canceled_reschedule_requested")
        );
    }

    #[test]
    fn cancel_reassign_complete_and_no_show_follow_the_status() {
        for s in [Scheduled, Rescheduled, Requested] {
            assert_eq!(
                apply(Some(s), Action::Cancel(Actor::User)).unwrap(),
                Transition {
                    status: Canceled,
                    event: Some("booking.canceled")
                }
            );
        }
        for s in [Canceled, Completed, NoShow] {
            assert!(
                apply(Some(s), Action::Cancel(Actor::Customer)).is_err(),
                "{s:?}"
            );
            assert!(apply(Some(s), Action::Reassign).is_err(), "{s:?}");
            assert!(apply(Some(s), Action::RequestReschedule).is_err(), "{s:?}");
        }
        assert_eq!(
            apply(Some(Rescheduled), Action::Reassign).unwrap(),
            Transition {
                status: Rescheduled,
                event: Some("booking.reassigned")
            }
        );
        assert_eq!(
            apply(Some(Scheduled), Action::Complete).unwrap().event,
            Some("booking.completed")
        );
        assert!(
            apply(Some(Requested), Action::Complete).is_err(),
            "a request never completes"
        );
        assert_eq!(
            apply(Some(Completed), Action::NoShow).unwrap(),
            Transition {
                status: NoShow,
                event: Some("booking.no_show")
            }
        );
        for s in [Scheduled, Rescheduled, Requested, Canceled, NoShow] {
            assert!(
                apply(Some(s), Action::NoShow).is_err(),
                "no-show only on a completed booking, not {s:?}"
            );
        }
    }

    #[test]
    fn statuses_round_trip_and_only_live_ones_hold_time() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        assert_eq!(Status::ALL.iter().filter(|s| s.holds_time()).count(), 3);
        assert_eq!(Status::parse("cancelled"), None);
    }
}
