-- wrk script: POST /predict to apid with a Bearer token and the original
-- README's 39-feature body (or POST /predict/shot with a raw shot), counting the 200 answers so that they can be
-- compared with the rows apid stored.
--
--   TOKEN=... [ENDPOINT=/predict/shot] wrk -t2 -c64 -d15s --latency -s bench/apid_predict.lua http://127.0.0.1:8000
--
-- Prints one JSON line at the end: requests, 200s, other statuses, socket
-- errors, req/s and latency percentiles in milliseconds.

local token = os.getenv("TOKEN")
if token == nil or token == "" then
  io.stderr:write("apid_predict.lua: set TOKEN to an access token (POST /token)\n")
  os.exit(2)
end

-- ENDPOINT=/predict/shot posts a raw shot instead (the README's example).
local endpoint = os.getenv("ENDPOINT")
if endpoint == nil or endpoint == "" then
  endpoint = "/predict"
end

wrk.method = "POST"
wrk.path = endpoint
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
if endpoint == "/predict/shot" then
  wrk.body = '{"player_id": 2544, "player_name": "LeBron James", "team_name": "Los Angeles Lakers", ' ..
    '"home_team": "LAL", "away_team": "BOS", "period": 1, "minutes_remaining": 10, "seconds_remaining": 30, ' ..
    '"action_type": "Jump Shot", "x_location": -120, "y_location": 150, "game_date": 20191105, ' ..
    '"season_type": "Regular Season"}'
else
  wrk.body = '{"Period": 1, "Minutes_Remaining": 10, "Seconds_Remaining": 30, "Shot_Distance": 15, "X_Location": 5, ' ..
    '"Y_Location": 10, "Action_Type_Frequency": 0.2, "Team_Name_Frequency": 0.5, "Home_Team_Frequency": 0.4, ' ..
    '"Away_Team_Frequency": 0.6, "ShotType_2PT_Field_Goal": 1, "ShotType_3PT_Field_Goal": 0, ' ..
    '"ShotZoneBasic_Above_the_Break_3": 1, "ShotZoneBasic_Backcourt": 0, "ShotZoneBasic_In_The_Paint_Non_RA": 0, ' ..
    '"ShotZoneBasic_Left_Corner_3": 0, "ShotZoneBasic_Mid_Range": 1, "ShotZoneBasic_Restricted_Area": 0, ' ..
    '"ShotZoneBasic_Right_Corner_3": 0, "ShotZoneArea_Back_Court_BC": 0, "ShotZoneArea_Center_C": 1, ' ..
    '"ShotZoneArea_Left_Side_Center_LC": 0, "ShotZoneArea_Left_Side_L": 0, "ShotZoneArea_Right_Side_Center_RC": 1, ' ..
    '"ShotZoneArea_Right_Side_R": 0, "ShotZoneRange_16_24_ft": 1, "ShotZoneRange_24_ft": 0, ' ..
    '"ShotZoneRange_8_16_ft": 0, "ShotZoneRange_Back_Court_Shot": 0, "ShotZoneRange_Less_Than_8_ft": 1, ' ..
    '"SeasonType_Playoffs": 1, "SeasonType_Regular_Season": 0, "Game_ID_Frequency": 0.8, ' ..
    '"Game_Event_ID_Frequency": 0.7, "Player_ID_Frequency": 0.9, "Year": 2022, "Month": 6, "Day": 11, ' ..
    '"Day_of_Week": 5}'
end

-- Per-thread counters, gathered in done().
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok = 0
  other = 0
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_total, other_total = 0, 0
  for _, t in ipairs(threads) do
    ok_total = ok_total + t:get("ok")
    other_total = other_total + t:get("other")
  end
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "status_200": %d, "status_other": %d, "socket_errors": %d, "req_per_s": %.1f, ' ..
    '"latency_ms": {"p50": %.2f, "p90": %.2f, "p99": %.2f, "max": %.2f}}\n',
    summary.requests, ok_total, other_total, e.connect + e.read + e.write + e.timeout, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
