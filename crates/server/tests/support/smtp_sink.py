"""A real SMTP server for Slotline's tests (aiosmtpd).

    python smtp_sink.py PORT FOLDER

Every message accepted is written to FOLDER as NNNNNN.eml (the bytes as received) with
NNNNNN.json beside it (the envelope: sender and recipients); the .eml appears last, whole.
Recipients make the server misbehave on purpose:
  refuse@…  → 550 at RCPT (a permanent refusal)
  busy@…    → 451 at RCPT (a temporary one)
  slow…@…   → the answer to DATA comes after 0.1 s (a slow server, so that sends overlap)
Prints "ready" once it listens.
"""

import asyncio
import json
import os
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local == "refuse":
            return "550 5.1.1 No such mailbox here"
        if local == "busy":
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if any(r.split("@", 1)[0].lower().startswith("slow") for r in envelope.rcpt_tos):
            await asyncio.sleep(0.1)
        self.count += 1
        base = os.path.join(self.folder, f"{self.count:06d}")
        with open(base + ".json", "w") as f:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
        with open(base + ".part", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".part", base + ".eml")
        return "250 2.0.0 Accepted"


def main():
    port, folder = int(sys.argv[1]), sys.argv[2]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
