--[[
ai-cost at submit time: Slurm's job_submit/lua plugin (slurm.conf: JobSubmitPlugins=lua).

Copy this file next to slurm.conf as job_submit.lua, and ai-cost-submit.conf.example next to it
as ai-cost-submit.conf (owner SlurmUser, mode 0600: it holds an ingest token). For each
submitted GPU job slurmctld calls slurm_job_submit: the job's name, account, user, GPUs and
their type, time limit, the model its comment names (model=...) and the script's command lines
go to the ai-cost server's POST /api/v1/check, and each warning it answers is shown to the
submitter (sbatch prints it on stderr). The job is always accepted, unless the server answers
that a rule the organisation set to deny matched: then it is refused with the server's lines.

ai-cost never blocks a submission by being down: no configuration, a server that does not
answer within timeout_s (0.3 s by default), any HTTP error or an answer that cannot be read, and
the job goes through silently (a line in slurmctld's log says why). Nothing from the job ever
reaches a shell: the request is written to a private temporary file that curl reads.
]]

local CONF_NAME = "ai-cost-submit.conf"
local DEFAULT_TIMEOUT_S = 0.3
local MAX_SCRIPT_LINES = 200
local MAX_SCRIPT_BYTES = 4000 -- what the server reads of a command
local NO_VAL = 4294967294 -- Slurm's "not set" for 32-bit fields; INFINITE is NO_VAL + 1

local function log_info(fmt, ...)
  slurm.log_info("job_submit/ai-cost: " .. fmt, ...)
end

-- Shell: single quotes around every word; a quote inside becomes '\''.
local function shell_quote(text)
  return "'" .. string.gsub(tostring(text), "'", "'\\''") .. "'"
end

local function dirname(path)
  return string.match(path, "^(.*)/[^/]*$") or "."
end

-- The directory of slurm.conf: where slurmctld found this script, else SLURM_CONF's, else
-- Debian's /etc/slurm.
local function conf_dir()
  local source = debug.getinfo(1, "S").source
  if string.sub(source, 1, 1) == "@" then
    return dirname(string.sub(source, 2))
  end
  local conf = os.getenv("SLURM_CONF")
  if conf and conf ~= "" then
    return dirname(conf)
  end
  return "/etc/slurm"
end

-- key = value lines; # starts a comment.
local function read_conf(path)
  local file = io.open(path, "r")
  if not file then
    return nil
  end
  local conf = {}
  for line in file:lines() do
    local key, value = string.match(line, "^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if key and string.sub(line, 1, 1) ~= "#" then
      conf[key] = value
    end
  end
  file:close()
  return conf
end

---------------------------------------------------------------------------- JSON, both ways

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c)
    return ESCAPES[c] or string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

local function json_encode(value)
  local kind = type(value)
  if kind == "string" then
    return json_string(value)
  elseif kind == "number" then
    return string.format("%.14g", value)
  elseif kind == "boolean" then
    return tostring(value)
  elseif kind == "table" then
    local keys = {}
    for key in pairs(value) do
      table.insert(keys, key)
    end
    table.sort(keys)
    local parts = {}
    for _, key in ipairs(keys) do
      table.insert(parts, json_string(key) .. ":" .. json_encode(value[key]))
    end
    return "{" .. table.concat(parts, ",") .. "}"
  end
  return "null"
end

local function utf8_char(code)
  if code < 0x80 then
    return string.char(code)
  elseif code < 0x800 then
    return string.char(0xC0 + math.floor(code / 0x40), 0x80 + code % 0x40)
  end
  return string.char(0xE0 + math.floor(code / 0x1000), 0x80 + math.floor(code / 0x40) % 0x40,
                     0x80 + code % 0x40)
end

-- A JSON text to Lua values (null is nil); error() on anything malformed.
local function json_decode(text)
  local pos = 1
  local value

  local function skip()
    pos = string.find(text, "[^ \t\r\n]", pos) or (#text + 1)
  end

  local function str()
    local out = {}
    pos = pos + 1
    while true do
      local c = string.sub(text, pos, pos)
      if c == "" then
        error("unterminated string")
      elseif c == '"' then
        pos = pos + 1
        return table.concat(out)
      elseif c == "\\" then
        local e = string.sub(text, pos + 1, pos + 1)
        local simple = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
        if e == "u" then
          table.insert(out, utf8_char(tonumber(string.sub(text, pos + 2, pos + 5), 16) or 63))
          pos = pos + 6
        else
          table.insert(out, simple[e] or e)
          pos = pos + 2
        end
      else
        table.insert(out, c)
        pos = pos + 1
      end
    end
  end

  function value()
    skip()
    local c = string.sub(text, pos, pos)
    if c == "{" then
      local object = {}
      pos = pos + 1
      skip()
      if string.sub(text, pos, pos) == "}" then
        pos = pos + 1
        return object
      end
      while true do
        skip()
        if string.sub(text, pos, pos) ~= '"' then
          error("expected a key at " .. pos)
        end
        local key = str()
        skip()
        if string.sub(text, pos, pos) ~= ":" then
          error("expected : at " .. pos)
        end
        pos = pos + 1
        object[key] = value()
        skip()
        local sep = string.sub(text, pos, pos)
        pos = pos + 1
        if sep == "}" then
          return object
        elseif sep ~= "," then
          error("expected , or } at " .. pos)
        end
      end
    elseif c == "[" then
      local array = {}
      pos = pos + 1
      skip()
      if string.sub(text, pos, pos) == "]" then
        pos = pos + 1
        return array
      end
      while true do
        table.insert(array, value())
        skip()
        local sep = string.sub(text, pos, pos)
        pos = pos + 1
        if sep == "]" then
          return array
        elseif sep ~= "," then
          error("expected , or ] at " .. pos)
        end
      end
    elseif c == '"' then
      return str()
    end
    for literal, result in pairs({ ["true"] = true, ["false"] = false, ["null"] = "null" }) do
      if string.sub(text, pos, pos + #literal - 1) == literal then
        pos = pos + #literal
        if result == "null" then
          return nil
        end
        return result
      end
    end
    local number = string.match(text, "^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if number and number ~= "" then
      pos = pos + #number
      return tonumber(number)
    end
    error("unexpected " .. (c == "" and "end" or c) .. " at " .. pos)
  end

  local result = value()
  skip()
  if pos <= #text then
    error("trailing text at " .. pos)
  end
  return result
end

---------------------------------------------------------------------------- the request

-- GPUs and their type from TRES strings like "gres:gpu:8", "gres/gpu:a100:2,gres/shard:1".
local function gpus_of(tres)
  if not tres or tres == "" then
    return 0, nil
  end
  for item in string.gmatch(tres, "[^,]+") do
    local rest = string.match(item, "^gres[:/]gpu(.*)$") or string.match(item, "^gpu(.*)$")
    if rest and (rest == "" or string.sub(rest, 1, 1) == ":") then
      local fields = {}
      for field in string.gmatch(rest, "[^:]+") do
        table.insert(fields, field)
      end
      local count = tonumber(fields[#fields] or "1")
      if count then
        return count, fields[#fields - 1]
      end
      return 1, fields[#fields] -- a type and no count: one GPU
    end
  end
  return 0, nil
end

local function is_set(number)
  return number ~= nil and number < NO_VAL
end

-- All the GPUs a job asks for: per node times nodes, per job, per task times tasks.
local function requested_gpus(job_desc)
  local nodes = is_set(job_desc.min_nodes) and job_desc.min_nodes or 1
  local tasks = is_set(job_desc.num_tasks) and job_desc.num_tasks or 1
  local best, best_type = 0, nil
  for _, pair in ipairs({ { job_desc.tres_per_node, nodes }, { job_desc.tres_per_job, 1 },
                          { job_desc.tres_per_task, tasks },
                          { job_desc.tres_per_socket, nodes } }) do
    local count, gpu_type = gpus_of(pair[1])
    if count * pair[2] > best then
      best, best_type = count * pair[2], gpu_type
    end
  end
  return best, best_type
end

-- The script's command lines as `ai-cost check` reads them: no blank lines, no comments, no
-- #SBATCH (already in job_desc), joined by " ; ".
local function command_lines(script)
  if not script then
    return nil
  end
  local lines = {}
  for line in string.gmatch(script, "[^\n]+") do
    local trimmed = string.match(line, "^%s*(.-)%s*$")
    if trimmed ~= "" and string.sub(trimmed, 1, 1) ~= "#" then
      table.insert(lines, trimmed)
      if #lines >= MAX_SCRIPT_LINES then
        break
      end
    end
  end
  return string.sub(table.concat(lines, " ; "), 1, MAX_SCRIPT_BYTES)
end

-- A model named `model=...` in the comment, else in the job name (as `collect slurm` reads it).
local function named_model(job_desc)
  for _, text in ipairs({ job_desc.comment or "", job_desc.name or "" }) do
    local model = string.match(" " .. text, "[%s,;|]model=([^%s,;|]+)")
    if model then
      return model
    end
  end
  return nil
end

-- salloc, or srun outside a batch job, is a session a person holds; the server reads a
-- notebook or an IDE in the script's command itself (analyzers/submit/request.py INTERACTIVE).
local function interactive(job_desc)
  return job_desc.script == nil
end

-- The fields of the server's SubmitRequest (POST /api/v1/check); the cluster is the token's.
local function request_of(job_desc, submit_uid, gpus, gpu_type)
  local command = command_lines(job_desc.script)
  local request = {
    source = "slurm",
    kind = job_desc.script and "sbatch" or "salloc/srun",
    job_name = (job_desc.name and job_desc.name ~= "") and job_desc.name or "sbatch",
    user = job_desc.user_name or tostring(submit_uid),
    team = job_desc.account, -- the account: the server finds its team
    gpus = gpus,
    gpu_type = gpu_type,
    command = command,
    model = named_model(job_desc),
    interactive = interactive(job_desc),
  }
  if is_set(job_desc.time_limit) then
    request.time_limit_s = job_desc.time_limit * 60
  end
  return request
end

---------------------------------------------------------------------------- the call

local function write_private(text)
  local path = os.tmpname() -- mkstemp: a new file only its owner can read
  local file = io.open(path, "w")
  if not file then
    return nil
  end
  file:write(text)
  file:close()
  return path
end

-- curl's config syntax: a quoted string, \ and " escaped (the JSON has no raw newlines).
local function curl_string(text)
  return '"' .. string.gsub(text, '[\\"]', "\\%0") .. '"'
end

-- POST the request; the answer's status and body, or nil and why.
local function check(conf, request)
  local timeout_s = tonumber(conf.timeout_s) or DEFAULT_TIMEOUT_S
  local lines = {
    "url = " .. curl_string(conf.url),
    "max-time = " .. string.format("%.3f", timeout_s),
    "silent",
    'header = "Content-Type: application/json"',
    "data-binary = " .. curl_string(json_encode(request)),
    'write-out = "\\n%{http_code}"',
  }
  if conf.token and conf.token ~= "" then
    table.insert(lines, "header = " .. curl_string("Authorization: Bearer " .. conf.token))
  end
  -- The token and the job's text stay off the command line: curl reads them from this file.
  local config = write_private(table.concat(lines, "\n") .. "\n")
  if not config then
    return nil, "cannot write a temporary file"
  end
  -- -q first: SlurmUser's own ~/.curlrc is not read.
  local pipe = io.popen("curl -q --config " .. shell_quote(config) .. " 2>/dev/null", "r")
  local output = pipe and pipe:read("*a") or ""
  if pipe then
    pipe:close()
  end
  os.remove(config)
  local body, status = string.match(output, "^(.*)\n(%d%d%d)$")
  if not status or status == "000" then
    return nil, "no answer from " .. conf.url .. " within " .. timeout_s .. " s"
  end
  return tonumber(status), body
end

-- Each line shown to the submitter; % in the server's text stays literal.
local function tell_user(text)
  slurm.log_user("%s", text)
end

local function submit(job_desc, submit_uid)
  local path = conf_dir() .. "/" .. CONF_NAME
  local conf = read_conf(path)
  if not conf or not conf.url or conf.url == "" then
    log_info("no url in %s: jobs are not checked", path)
    return slurm.SUCCESS
  end
  local gpus, gpu_type = requested_gpus(job_desc)
  if gpus == 0 then
    return slurm.SUCCESS -- ai-cost judges GPU jobs only
  end
  local status, body = check(conf, request_of(job_desc, submit_uid, gpus, gpu_type))
  if status ~= 200 then
    log_info("%s", status and ("HTTP " .. status .. " from " .. conf.url) or body)
    return slurm.SUCCESS
  end
  local ok, verdict = pcall(json_decode, body)
  if not ok or type(verdict) ~= "table" then
    log_info("an answer that is not JSON from %s", conf.url)
    return slurm.SUCCESS
  end
  local warnings = type(verdict.warnings) == "table" and verdict.warnings or {}
  for _, warning in ipairs(warnings) do
    if type(warning) == "string" then
      tell_user(warning)
    end
  end
  if verdict.deny == true then
    local reason = verdict.deny_reason or verdict.reason
    if type(reason) == "string" and reason ~= "" then
      tell_user(reason)
    end
    return slurm.ERROR
  end
  return slurm.SUCCESS
end

function slurm_job_submit(job_desc, part_list, submit_uid)
  local ok, result = pcall(submit, job_desc, submit_uid)
  if not ok then
    log_info("not checked: %s", tostring(result))
    return slurm.SUCCESS
  end
  return result
end

function slurm_job_modify(job_desc, job_rec, part_list, modify_uid)
  return slurm.SUCCESS
end

log_info("loaded; it reads %s/%s", conf_dir(), CONF_NAME)
return slurm.SUCCESS
