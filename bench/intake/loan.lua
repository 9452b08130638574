-- wrk script: signed loan webhooks, a unique event id per request, over keep-alive
-- connections. Signs with OpenSSL's HMAC through LuaJIT's FFI so the load generator
-- spends microseconds, not the server's CPU, per request.
--
-- Environment: LOAN_SECRET (the connector's secret), LOAN_TIMESTAMP (Unix seconds,
-- fixed for the run; must be within the connector's clock skew), LOAN_PATH.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct evp_md_st EVP_MD;
  const EVP_MD *EVP_sha256(void);
  unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                      const unsigned char *data, size_t data_len,
                      unsigned char *md, unsigned int *md_len);
]]
local crypto = ffi.load("crypto")
local md = ffi.new("unsigned char[32]")
local mdlen = ffi.new("unsigned int[1]")
local hex = {}
for i = 0, 255 do hex[i] = string.format("%02x", i) end

local secret = os.getenv("LOAN_SECRET") or "bench-secret-0123456789abcdef0123456789"
local timestamp = os.getenv("LOAN_TIMESTAMP") or tostring(os.time())
local path = os.getenv("LOAN_PATH") or "/api/v1/connectors/loan/loan/events"
local sha256 = crypto.EVP_sha256()

local function sign(body)
  local material = timestamp .. "." .. body
  crypto.HMAC(sha256, secret, #secret, material, #material, md, mdlen)
  local out = {}
  for i = 0, 31 do out[i + 1] = hex[md[i]] end
  return "sha256=" .. table.concat(out)
end

-- Synthetic (Tenor) identity numbers: a few citizens, many events.
local nins = { "15838510075", "55838510069", "15708510057", "15458510072", "29828410081" }
local counter = 0
local prefix

function setup(thread)
  thread:set("thread_id", tostring(math.random(1, 1e9)))
end

-- Letters between the numbers: the connector refuses an id with a run of 11 digits
-- (dashes and spaces between them count as one run: it could be an identity number).
function init(args)
  local thread = tonumber(thread_id) or math.random(1, 1e9)
  prefix = string.format("bench-t%x-s%x-n", thread, os.time())
end

function request()
  counter = counter + 1
  local id = prefix .. counter
  local body = '{"id":"' .. id ..
      '","type":"application_submitted","occurred_at":"2026-09-01T10:15:00Z","data":{"national_identity_number":"' ..
      nins[counter % 5 + 1] .. '","application_id":"SL-' .. counter ..
      '","amount_asked_nok":3200000,"submitted_date":"2026-09-01"}}'
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/json",
    ["X-Wayhome-Timestamp"] = timestamp,
    ["X-Wayhome-Signature"] = sign(body),
  }, body)
end
