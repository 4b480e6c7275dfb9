"""Creates N contacts through the API (keep-alive, one connection). Usage: seed_contacts.py BASE KEY N"""
import http.client
import json
import sys
import urllib.parse

base, key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
conn = http.client.HTTPConnection(u.hostname, u.port)
headers = {"API-Key": key, "Content-Type": "application/json"}
for i in range(n):
    body = json.dumps({
        "first_name": "Bench", "last_name": f"Contact {i}", "email": f"bench{i}@example.com",
        "company": "Slotline Benchmarks", "city": "Springfield", "timezone": "America/New_York",
    })
    conn.request("POST", "/v2/contacts", body, headers)
    res = conn.getresponse()
    res.read()
    if res.status != 201:
        sys.exit(f"seeding failed at {i}: {res.status}")
