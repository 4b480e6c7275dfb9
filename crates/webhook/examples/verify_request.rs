//! Verifying a webhook request in your own receiver: pass the raw body and the four headers.
//!
//!     cargo run -p slotline-webhook --example verify_request -- SECRET BODY_FILE 'Oncehub-Signature value'
//!
//! With only the Oncehub-Signature header given here; pass the Standard Webhooks headers the same
//! way when you have them.

use slotline_webhook::{verify, Headers, DEFAULT_TOLERANCE_SECS};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, secret, body_file, signature] = &args[..] else {
        eprintln!("usage: verify_request SECRET BODY_FILE ONCEHUB_SIGNATURE");
        std::process::exit(2);
    };
    let body = std::fs::read(body_file).expect("read body");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let headers = Headers {
        oncehub_signature: Some(signature),
        ..Headers::default()
    };
    match verify(secret, &headers, &body, now, DEFAULT_TOLERANCE_SECS) {
        Ok(v) => println!("valid, signed at {}", v.timestamp),
        Err(e) => {
            println!("invalid: {e}");
            std::process::exit(1);
        }
    }
}
