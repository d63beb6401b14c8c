#!/usr/bin/env python3
"""report_junit.py: goldpath's JUnit XML is what Jenkins (and every CI that
reads its format) takes, and says when and how long.

    report_junit.py GOLDPATH SOURCE_DIR WORK_DIR

The rules are those of the JUnit schema of the Jenkins xunit plugin
("jenkins-junit.xsd"), written down here in our own words twice: as an XSD
that xmllint checks (when xmllint is installed: Debian's libxml2-utils) and
as Python over xml.etree (always).  Both are first shown to refuse a file
with a mistake goldpath once made (skipped= on <testsuites>), so that a
validator that accepts everything cannot pass this test.

Checked: a passing run, a failing run, a bug scenario and a sweep write
valid JUnit; every <testcase> has a time; a simulated run's suite has its
virtual length as time and no timestamp, and the same seed writes the same
bytes; a live run's suite has an ISO 8601 timestamp of when it ran and its
wall-clock length (when goldpath-server is built next to goldpath).
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)
    return cond


# ---- the schema, in our own words ----------------------------------------
# A number of seconds: digits, optionally with a fraction (the schema's
# time type; it also allows thousands separators, which we never write).
TIME = r"[0-9]+(\.[0-9]+)?"
# When a suite ran: date and time, no zone (the schema's examples, Ant's).
STAMP = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"

XSD = """<?xml version="1.0" encoding="UTF-8"?>
<!-- The constraints of the Jenkins xunit plugin's JUnit schema, restated for
     goldpath's tests (tests/report_junit.py). -->
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:simpleType name="seconds">
    <xs:restriction base="xs:string"><xs:pattern value="%(time)s"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="when">
    <xs:restriction base="xs:string"><xs:pattern value="%(stamp)s"/></xs:restriction>
  </xs:simpleType>
  <xs:complexType name="outcome" mixed="true">
    <xs:attribute name="type" type="xs:string"/>
    <xs:attribute name="message" type="xs:string"/>
  </xs:complexType>
  <xs:element name="testsuites">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string"/>
      <xs:attribute name="time" type="seconds"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
      <xs:attribute name="disabled" type="xs:nonNegativeInteger"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
    </xs:complexType>
  </xs:element>
  <xs:element name="testsuite">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="properties" minOccurs="0">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="property" minOccurs="0" maxOccurs="unbounded">
                <xs:complexType>
                  <xs:attribute name="name" type="xs:string" use="required"/>
                  <xs:attribute name="value" type="xs:string" use="required"/>
                </xs:complexType>
              </xs:element>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
        <xs:element name="testcase" minOccurs="0" maxOccurs="unbounded">
          <xs:complexType>
            <xs:choice minOccurs="0" maxOccurs="unbounded">
              <xs:element name="skipped" type="outcome"/>
              <xs:element name="error" type="outcome"/>
              <xs:element name="failure" type="outcome"/>
              <xs:element name="system-out" type="xs:string"/>
              <xs:element name="system-err" type="xs:string"/>
            </xs:choice>
            <xs:attribute name="name" type="xs:string" use="required"/>
            <xs:attribute name="classname" type="xs:string"/>
            <xs:attribute name="time" type="seconds"/>
            <xs:attribute name="assertions" type="xs:string"/>
            <xs:attribute name="status" type="xs:string"/>
          </xs:complexType>
        </xs:element>
        <xs:element name="system-out" type="xs:string" minOccurs="0"/>
        <xs:element name="system-err" type="xs:string" minOccurs="0"/>
      </xs:sequence>
      <xs:attribute name="name" type="xs:string" use="required"/>
      <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
      <xs:attribute name="disabled" type="xs:nonNegativeInteger"/>
      <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
      <xs:attribute name="time" type="seconds"/>
      <xs:attribute name="timestamp" type="when"/>
      <xs:attribute name="hostname" type="xs:string"/>
      <xs:attribute name="id" type="xs:string"/>
      <xs:attribute name="package" type="xs:string"/>
    </xs:complexType>
  </xs:element>
</xs:schema>
""" % {"time": TIME, "stamp": STAMP}

SUITES_ATTRS = {"name", "time", "tests", "failures", "disabled", "errors"}
SUITE_ATTRS = {"name", "tests", "failures", "errors", "disabled", "skipped", "time",
               "timestamp", "hostname", "id", "package"}
SUITE_REQUIRED = {"name", "tests", "failures", "errors"}
CASE_ATTRS = {"name", "classname", "time", "assertions", "status"}
CASE_CHILDREN = {"skipped", "error", "failure", "system-out", "system-err"}


def etree_problems(path):
    """The same rules over xml.etree; a list of what breaks them."""
    bad = []
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as e:
        return ["not XML: %s" % e]
    if root.tag != "testsuites":
        return ["the root is <%s>, not <testsuites>" % root.tag]
    bad += ["<testsuites> has %s=" % a for a in sorted(set(root.attrib) - SUITES_ATTRS)]
    for suite in root:
        if suite.tag != "testsuite":
            bad.append("<testsuites> holds <%s>" % suite.tag)
            continue
        bad += ["<testsuite> has %s=" % a for a in sorted(set(suite.attrib) - SUITE_ATTRS)]
        bad += ["<testsuite> lacks %s=" % a for a in sorted(SUITE_REQUIRED - set(suite.attrib))]
        for a in ("tests", "failures", "errors", "skipped", "disabled"):
            if a in suite.attrib and not suite.get(a).isdigit():
                bad.append("<testsuite %s=%r>" % (a, suite.get(a)))
        if "time" in suite.attrib and not re.fullmatch(TIME, suite.get("time")):
            bad.append("<testsuite time=%r>" % suite.get("time"))
        if "timestamp" in suite.attrib and not re.fullmatch(STAMP, suite.get("timestamp")):
            bad.append("<testsuite timestamp=%r>" % suite.get("timestamp"))
        order = [c.tag for c in suite]
        if "properties" in order and order.index("properties") != 0:
            bad.append("<properties> is not the first child of <testsuite>")
        for prop in suite.iter("property"):
            if set(prop.attrib) != {"name", "value"}:
                bad.append("<property> without name and value")
        for case in suite.findall("testcase"):
            bad += ["<testcase> has %s=" % a for a in sorted(set(case.attrib) - CASE_ATTRS)]
            if "name" not in case.attrib:
                bad.append("<testcase> without name=")
            if "time" in case.attrib and not re.fullmatch(TIME, case.get("time")):
                bad.append("<testcase time=%r>" % case.get("time"))
            bad += ["<testcase> holds <%s>" % c.tag for c in case if c.tag not in CASE_CHILDREN]
            for c in case:
                if c.tag in ("failure", "error", "skipped"):
                    bad += ["<%s> has %s=" % (c.tag, a) for a in set(c.attrib) - {"type", "message"}]
    return bad


def xmllint_problems(xsd, path):
    if not shutil.which("xmllint"):
        return None
    p = subprocess.run(["xmllint", "--noout", "--schema", xsd, path], capture_output=True, text=True)
    return [] if p.returncode == 0 else [p.stderr.strip()[-1500:]]


def validate(xsd, path, what):
    """Valid by both readings of the schema; returns the parsed root."""
    problems = etree_problems(path)
    check(not problems, "%s: %s breaks the JUnit schema: %s" % (what, path, problems))
    lint = xmllint_problems(xsd, path)
    if lint is not None:
        check(not lint, "%s: xmllint --schema refuses %s: %s" % (what, path, lint))
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        check(re.fullmatch(TIME, case.get("time") or "") is not None,
              "%s: <testcase name=%r> has no time" % (what, case.get("name")))
    tests = sum(int(s.get("tests")) for s in root.findall("testsuite"))
    check(root.get("tests") == str(tests) == str(len(list(root.iter("testcase")))),
          "%s: tests= does not count the cases" % what)
    check(root.get("failures") == str(len(list(root.iter("failure")))),
          "%s: failures= does not count the failures" % what)
    for s in root.findall("testsuite"):
        check(s.get("skipped") == str(len(s.findall("testcase/skipped"))),
              "%s: a suite's skipped= does not count its skipped cases" % what)
    return root


def run(args, want):
    p = subprocess.run(args, capture_output=True, text=True)
    check(p.returncode == want, "%s exited %d, expected %d\n%s" % (
        " ".join(args), p.returncode, want, p.stderr[-1500:]))
    return p


def self_test(xsd, work):
    """The validators can fail: a file with skipped= on <testsuites> (what
    goldpath wrote before), and one with a bad time, are refused."""
    for name, text in (
        ("skipped_on_testsuites.xml",
         '<testsuites name="x" tests="1" failures="0" errors="0" skipped="0">'
         '<testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" time="0"/>'
         '</testsuite></testsuites>'),
        ("bad_time.xml",
         '<testsuites name="x"><testsuite name="s" tests="1" failures="0" errors="0">'
         '<testcase name="c" time="1s"/></testsuite></testsuites>'),
        ("no_name.xml",
         '<testsuites><testsuite tests="1" failures="0" errors="0"><testcase time="1"/>'
         '</testsuite></testsuites>')):
        path = os.path.join(work, name)
        with open(path, "w") as f:
            f.write(text)
        check(etree_problems(path), "self-test: the etree rules accept " + name)
        lint = xmllint_problems(xsd, path)
        check(lint is None or lint, "self-test: xmllint accepts " + name)
    good = os.path.join(work, "good.xml")
    with open(good, "w") as f:
        f.write('<testsuites name="x" tests="1" failures="0" errors="0" time="1.5">'
                '<testsuite name="s" tests="1" failures="0" errors="0" skipped="0" time="1.500" '
                'timestamp="2024-01-02T03:04:05"><properties><property name="a" value="b"/>'
                '</properties><testcase classname="k" name="c" time="0.000"/></testsuite>'
                '</testsuites>')
    check(not etree_problems(good), "self-test: the etree rules refuse a valid file")
    lint = xmllint_problems(xsd, good)
    check(lint is None or not lint, "self-test: xmllint refuses a valid file: %s" % lint)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    goldpath, src, work = (os.path.abspath(a) for a in sys.argv[1:])
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    xsd = os.path.join(work, "junit.xsd")
    with open(xsd, "w") as f:
        f.write(XSD)
    if not shutil.which("xmllint"):
        print("note: xmllint not installed (libxml2-utils): the schema is checked with xml.etree only")
    self_test(xsd, work)

    golden = os.path.join(src, "scenarios/golden_path.json")
    # a passing simulated run: valid, suite time = virtual length, no
    # timestamp, the same bytes for the same seed
    for out in ("a", "b"):
        run([goldpath, "run", golden, "--clients", "60", "--out", os.path.join(work, out),
             "--junit", os.path.join(work, out + ".xml"), "--quiet", "--no-plots"], want=0)
    root = validate(xsd, os.path.join(work, "a.xml"), "passing run")
    suite = root.find("testsuite")
    summary = json.load(open(os.path.join(work, "a", "summary.json")))
    check(suite.get("time") == "%.3f" % (summary["end_ms"] / 1000.0),
          "a simulated run's suite time %s is not its virtual length %d ms" % (
              suite.get("time"), summary["end_ms"]))
    check(float(suite.get("time")) > 0, "a simulated run's suite time is 0")
    check("timestamp" not in suite.attrib, "a simulated run's JUnit has a wall-clock timestamp")
    check(open(os.path.join(work, "a.xml"), "rb").read() == open(os.path.join(work, "b.xml"), "rb").read(),
          "two simulated runs of one seed wrote different JUnit")

    # a failing run and a caught bug
    run([goldpath, "run", os.path.join(src, "scenarios/accept_race.json"), "--clients", "100",
         "--set", 'server.bugs=["accept_race"]', "--out", os.path.join(work, "bug"),
         "--junit", os.path.join(work, "bug.xml"), "--quiet", "--no-plots"], want=1)
    root = validate(xsd, os.path.join(work, "bug.xml"), "failing run")
    check(len(list(root.iter("failure"))) > 0, "the failing run's JUnit has no <failure>")
    run([goldpath, "run", os.path.join(src, "scenarios/bugs/id_regeneration.json"), "--clients", "60",
         "--out", os.path.join(work, "caught"), "--junit", os.path.join(work, "caught.xml"),
         "--quiet", "--no-plots"], want=0)
    validate(xsd, os.path.join(work, "caught.xml"), "bug scenario")

    # a sweep
    run([goldpath, "sweep", os.path.join(src, "scenarios/accept_race.json"), "--vary",
         "faults.accept_race=0:0.4:0.4", "--seeds", "2", "--clients", "50", "--compare",
         "server.bugs=[]", 'server.bugs=["accept_race"]', "--out", os.path.join(work, "sweep"),
         "--junit", os.path.join(work, "sweep.xml"), "--quiet", "--no-plots"], want=0)
    root = validate(xsd, os.path.join(work, "sweep.xml"), "sweep")
    check(all("timestamp" not in s.attrib and float(s.get("time")) > 0
              for s in root.findall("testsuite")),
          "a sweep's suites: a timestamp, or no virtual time")

    # a live run: timestamp of when it ran, wall-clock time
    server = os.path.join(os.path.dirname(goldpath), "..", "sut", "server", "goldpath-server")
    if os.access(server, os.X_OK):
        before = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
        run([goldpath, "run", golden, "--mode", "live", "--clients", "5", "--out",
             os.path.join(work, "live"), "--junit", os.path.join(work, "live.xml"), "--quiet",
             "--no-plots"], want=0)
        after = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        root = validate(xsd, os.path.join(work, "live.xml"), "live run")
        suite = root.find("testsuite")
        stamp = suite.get("timestamp") or ""
        if check(re.fullmatch(STAMP, stamp) is not None, "a live run's suite has no timestamp"):
            when = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S")
            check(before - datetime.timedelta(seconds=2) <= when <= after,
                  "a live run's timestamp %s is not when it ran (%s .. %s)" % (stamp, before, after))
        perf = json.load(open(os.path.join(work, "live", "perf.json")))
        check(suite.get("time") == "%.3f" % perf["wall_s"], "a live run's suite time is not its wall time")
    else:
        print("note: %s not built: the live run's timestamp is not checked" % server)

    if failures:
        print("report_junit: %d check(s) failed" % len(failures), file=sys.stderr)
        return 1
    print("report_junit: all checks hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
