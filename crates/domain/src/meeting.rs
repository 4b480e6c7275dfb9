//! Meeting links for online locations. A `virtual` location names a video provider; Slotline
//! makes links itself for `jitsi` (a Jitsi Meet room, on meet.jit.si or a self-hosted server):
//! an unguessable room name under a base URL, made when the booking is. OnceHub's other
//! providers (`google_meet`, `zoom`, …) need the host's account with them and carry no link
//! here. A `virtual_static` location's value is its link.

use rand::Rng;
use serde_json::Value;

/// The provider whose links Slotline makes.
pub const GENERATED: &str = "jitsi";

/// Characters of a room name: letters and digits, which every Jitsi server accepts.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A new room under `base` (`https://meet.jit.si`): 24 random letters and digits (about 143
/// bits), so a room cannot be guessed.
pub fn room_url(base: &str) -> String {
    let mut rng = rand::thread_rng();
    let room: String = (0..24)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}/Slotline{room}", base.trim_end_matches('/'))
}

/// The link to join the meeting at `location`, or "" when it has none.
pub fn join_url(location: Option<&Value>) -> String {
    let Some(l) = location else {
        return String::new();
    };
    let text = |k: &str| l.get(k).and_then(Value::as_str).unwrap_or_default();
    let link = match text("type") {
        _ if !text("join_url").is_empty() => text("join_url"),
        "virtual_static" => text("value"),
        _ => "",
    };
    if link.starts_with("https://") || link.starts_with("http://") {
        link.to_string()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rooms_are_unguessable_and_under_the_base() {
        let a = room_url("https://meet.example.org/");
        let b = room_url("https://meet.example.org");
        assert!(a.starts_with("https://meet.example.org/Slotline"), "{a}");
        assert_eq!(a.len(), "https://meet.example.org/Slotline".len() + 24);
        assert_ne!(a, b);
        assert!(a["https://meet.example.org/".len()..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn the_join_url_is_the_generated_link_or_the_static_one() {
        let jitsi = json!({"type": "virtual", "value": "jitsi", "join_url": "https://meet.jit.si/SlotlineX"});
        assert_eq!(join_url(Some(&jitsi)), "https://meet.jit.si/SlotlineX");
        let fixed = json!({"type": "virtual_static", "value": "https://zoom.example/j/1"});
        assert_eq!(join_url(Some(&fixed)), "https://zoom.example/j/1");
        let meet = json!({"type": "virtual", "value": "google_meet"});
        assert_eq!(join_url(Some(&meet)), "");
        assert_eq!(
            join_url(Some(
                &json!({"type": "virtual_static", "value": "javascript:x"})
            )),
            ""
        );
        assert_eq!(join_url(None), "");
    }
}
