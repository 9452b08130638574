#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ from the repository's own examples
(event schema examples, deploy/config, the shipped rules) plus a few hand-made inputs.
Run from the repository root; the result is committed. Files are named by content
hash, so re-running only adds what is new."""
import glob, hashlib, hmac, json, os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
EVENTS = os.path.join(ROOT, "schemas", "events")

def put(harness, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)

types = sorted(os.path.basename(p)[: -len(".schema.json")]
               for p in glob.glob(os.path.join(EVENTS, "*.schema.json")))
examples = {}
for i, t in enumerate(types):
    ex = json.load(open(os.path.join(EVENTS, t + ".examples.json")))
    examples[t] = ex
    for kind in ("valid", "invalid"):
        for e in ex[kind][:3]:
            put("schema_validate", bytes([i]) + json.dumps(e, separators=(",", ":")).encode())

# cloud_event: headers, an empty line, the value.
for t in types:
    for e in examples[t]["valid"][:1]:
        data = json.dumps(e, separators=(",", ":"))
        put("cloud_event", "ce_specversion: 1.0\nce_id: ev-1\nce_source: /fuzz\nce_type: " + t +
            "\nce_time: 2026-03-02T09:00:00Z\nce_subject: pr_0123456789abcdef0123456789abcdef\n"
            "content-type: application/json\n\n" + data)
put("cloud_event", "content-type: application/json\n\n{}")
put("cloud_event", "ce_specversion: 1.0\nce_id: x\nce_source: /s\nce_type: a.b.v1\nce_traceparent: 00\n\n[1]")

# rules_test_input: one CloudEvent object a line.
lines = []
for t in types:
    for e in examples[t]["valid"][:1]:
        lines.append(json.dumps({"id": "ev-" + t, "type": t, "subject": "s", "data": e},
                                separators=(",", ":")))
put("rules_test_input", "\n".join(lines) + "\n")
for l in lines[:8]:
    put("rules_test_input", l + "\n")
put("rules_test_input", "{\"id\":\"x\"}\n\n[1]\nnot json\n")

# config and rules: what ships.
for p in glob.glob(os.path.join(ROOT, "deploy", "config", "*.jsonc")):
    put("config", open(p, "rb").read())
put("config", "{}")
put("config", '{"loan":{"secret":"0123456789abcdef0123456789abcdef"},"http":{"enabled":true},'
    '"base_url":"https://plania.example/api","drop_folder":{"path":"/tmp/x"}}')
put("rules", open(os.path.join(ROOT, "deploy", "config", "rules.json"), "rb").read())
put("rules", '{"rules": [{"id": "Z9", "match": {"type": "nope.v1"}, "actions": []}]}')

# loan_webhook: timestamp line, signature line, body.
SECRET = b"s" * 40
NIN = "15838510075"  # synthetic (Tenor)
def webhook(type_, data):
    body = ('{"id":"evt-1","type":"%s","occurred_at":"2026-09-01T10:15:00Z","data":'
            '{"national_identity_number":"%s"%s}}' % (type_, NIN, "," + data if data else ""))
    ts = "1793000000"
    sig = "sha256=" + hmac.new(SECRET, (ts + "." + body).encode(), hashlib.sha256).hexdigest()
    put("loan_webhook", ts + "\n" + sig + "\n" + body)
webhook("application_submitted",
        '"application_id":"SL-1","amount_asked_nok":3200000,"submitted_date":"2026-09-01"')
webhook("application_decided",
        '"application_id":"SL-1","decision":"granted","amount_nok":3000000,"decided_date":"2026-09-10"')
webhook("disbursed", '"loan_id":"L-1","disbursed_date":"2026-10-01","amount_nok":3000000')
webhook("instalment_missed", '"loan_id":"L-1","amount_nok":12000,"due_date":"2026-11-01"')
put("loan_webhook", "1793000000\nsha256=00\n[]")

# plania_records: entity byte (0 customer, 1 area, 2 contract, 3 work order), item.
put("plania_records", b"\x00" + b'{"id":"CUS-1","updated":"2026-01-05T08:00:00Z",'
    b'"nationalIdentityNumber":"15838510075","householdSize":3}')
put("plania_records", b"\x01" + b'{"id":"A1","updated":"2026-01-05T08:00:00Z","rentalStatus":"VACANT",'
    b'"isHousing":true,"monthlyRent":9000,"availableFrom":"2026-02-01"}')
put("plania_records", b"\x02" + b'{"id":"CON-1","updated":"2026-01-09T08:00:00.001Z","status":"ACTIVE",'
    b'"customerId":"CUS-1","areaId":"AREA-7","applicationRegisteredDate":"2026-01-06",'
    b'"startDate":"2026-01-10","scheduledEndDate":"2029-01-10","fixedTerm":true,'
    b'"guidanceFolderHandedOver":true,"housingContactId":"HC-2","monthsOverdue":2,"arrearsAmount":18000}')
put("plania_records", b"\x02" + b'{"id":"CON-1","updated":"2026-01-06T08:00:00.001Z","status":"APPLICATION",'
    b'"customerId":"CUS-1","applicationRegisteredDate":"2026-01-06","wantsFinancialAdvice":true,'
    b'"startDate":null,"monthsOverdue":0,"arrearsAmount":0,"householdSize":2}')
put("plania_records", b"\x03" + b'{"id":"W1","updated":"2026-01-05T08:00:00Z","status":"PLANNED",'
    b'"areaId":"A1","type":"renovation","plannedStart":"2026-03-01","plannedEnd":"2026-03-10",'
    b'"tenantMustMoveOut":true}')

# gerica_message: the MsgHead of the unit tests, one per code.
def msg(type_="DIALOG_NOTAT", code="HOUSING_NEED", facts=""):
    request = type_ == "DIALOG_FORESPORSEL"
    el = "Foresporsel" if request else "Notat"
    idt = "DokIdForesp" if request else "DokIdNotat"
    dt = "DatoForesp" if request else "DatoNotat"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<MsgHead xmlns="http://www.kith.no/xmlstds/msghead/2006-05-24">\n  <MsgInfo>\n'
            '    <Type V="%s" DN="Notat"/>\n    <MIGversion>v1.2 2006-05-24</MIGversion>\n'
            '    <GenDate>2026-11-01T10:00:00+01:00</GenDate>\n    <MsgId>MSG-2026-0001</MsgId>\n'
            '    <Sender><Organisation><OrganisationName>Hjemmetjenesten</OrganisationName><Ident>'
            '<Id>974600951</Id><TypeId V="ENH"/></Ident></Organisation></Sender>\n'
            '    <Receiver><Organisation><Ident><Id>921234567</Id><TypeId V="ENH"/></Ident>'
            '</Organisation></Receiver>\n'
            '    <Patient><Ident><Id>%s</Id><TypeId V="FNR"/></Ident></Patient>\n  </MsgInfo>\n'
            '  <Document><RefDoc><MsgType V="XML"/><Content><Dialogmelding '
            'xmlns="http://www.kith.no/xmlstds/dialog/2006-10-11"><%s><TemaKodet V="%s"/>'
            '<%s>OBS-42</%s><%s>2026-11-01T09:40:00+01:00</%s>%s'
            '<TekstNotatInnhold>Rent unpaid for three months.</TekstNotatInnhold></%s>'
            '</Dialogmelding></Content></RefDoc></Document>\n</MsgHead>\n'
            % (type_, NIN, el, code, idt, idt, dt, dt, facts, el))
def o(n, v):
    return '<Opplysning Navn="%s" V="%s"/>' % (n, v)
put("gerica_message", msg(facts=o("need", "risk_of_eviction") + o("urgency", "urgent") +
                          o("observer_role", "home_care_nurse")))
put("gerica_message", msg(code="SERVICE_GRANTED", facts=o("service", "home_nursing") +
                          o("valid_from", "2026-11-01")))
put("gerica_message", msg(code="PLAN_UPDATED", facts=o("coordinator_role", "case_manager") +
                          o("sector", "housing") + o("sector", "nav")))
put("gerica_message", msg(type_="DIALOG_FORESPORSEL", code="CONSENT_GRANTED",
                          facts=o("to_sector", "housing") + o("purpose", "housing_follow_up") +
                          o("valid_until", "2027-11-01")))
put("gerica_message", msg(code="CONSENT_WITHDRAWN"))
put("gerica_message", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><MsgHead>&a;</MsgHead>')
