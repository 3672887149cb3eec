-- Signed issues.opened deliveries, each with its own X-GitHub-Delivery,
-- cycling over the prepared bodies (one line each: signature, tab, JSON);
-- the signature covers the body only, so headers may vary freely.
local bodies = {}
for line in io.lines(os.getenv("BODIES_FILE")) do
  local sig, body = line:match("^([^\t]+)\t(.*)$")
  bodies[#bodies + 1] = { sig = sig, body = body }
end
local counter = 0
local thread_id = 0

function setup(thread)
  thread_id = thread_id + 1
  thread:set("prefix", "t" .. thread_id .. "-")
end

function request()
  counter = counter + 1
  local b = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", "/webhook", {
    ["Content-Type"] = "application/json",
    ["X-GitHub-Event"] = "issues",
    ["X-GitHub-Hook-ID"] = "1",
    ["X-GitHub-Delivery"] = prefix .. counter,
    ["X-Hub-Signature-256"] = b.sig,
  }, b.body)
end

function done(summary, latency, requests)
  io.write(string.format("webhook: %d requests, %.0f req/s, p50 %.2f ms, p99 %.2f ms, errors %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
