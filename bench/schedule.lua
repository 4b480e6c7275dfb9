-- wrk script: each request books the next free 15-minute slot of one calendar.
-- Usage: wrk -t2 -c32 -d10s -s bench/schedule.lua URL -- CALENDAR_ID FIRST_SLOT_UNIX_SECONDS API_KEY
local next_thread = 0

function setup(thread)
  thread:set("thread_id", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  calendar, first, key = args[1], tonumber(args[2]), args[3]
  counter = 0
  wrk.method = "POST"
  wrk.path = "/v2/booking-calendars/" .. calendar .. "/schedule"
  wrk.headers["API-Key"] = key
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  -- Threads interleave: thread t takes slots t, t + 2, t + 4, … (two threads).
  local n = counter * 2 + thread_id
  counter = counter + 1
  local start = os.date("!%Y-%m-%dT%H:%M:%SZ", first + n * 900)
  local body = string.format(
    '{"start_time":"%s","guest_time_zone":"UTC","booking_form":{"name":"Bench %d","email":"wrk%d@example.com"}}', start, n, n)
  return wrk.format(nil, nil, nil, body)
end
