#!/usr/bin/env python3
"""scale_containerfile.py: the Containerfile builds goldpath the way this
repository does, from the packages it names (podman and docker are not
needed: the file is read, not built).

  - both stages are Debian 12 (debian:bookworm-slim);
  - the build stage installs exactly scripts/setup.sh's packages, less the
    ones its comment lists as not needed in the image, each of which
    setup.sh installs (so that a package added to setup.sh fails this test
    until the Containerfile takes it or says why not);
  - it configures and builds with scripts/setup.sh's commands (gp_build,
    for the folder build) and installs with the README's
    `cmake --install build --prefix DIR`;
  - the image installs the Debian package of every library the built
    programs link against (ldd, dpkg -S) but libc6, the base image's, and
    those that come with libwebsockets17 (its Depends), and lws's libuv
    event-loop plugin, and gnuplot;
  - its entry point is goldpath, its working folder is where `cmake
    --install` puts the scenarios, and the Kubernetes Jobs run there.

    scale_containerfile.py REPO_DIR BUILD_DIR
"""
import os
import re
import shutil
import subprocess
import sys

REPO, BUILD = sys.argv[1], sys.argv[2]
errors = []


def check(ok, msg):
    if not ok:
        errors.append(msg)


def joined(text):
    """Dockerfile lines with their continuations joined, comments kept."""
    return re.sub(r"\\\n\s*", " ", text).splitlines()


def installs(run):
    m = re.search(r"apt-get install -y --no-install-recommends ([^&]*)", run)
    return m.group(1).split() if m else []


def stages(lines):
    out, cur = [], None
    for line in lines:
        if line.startswith("FROM "):
            cur = {"from": line.split()[1], "runs": [], "comments": [], "other": []}
            out.append(cur)
        elif cur is None:
            continue
        elif line.startswith("RUN "):
            cur["runs"].append(line[4:])
        elif line.startswith("#"):
            cur["comments"].append(line)
        else:
            cur["other"].append(line)
    return out


def setup_packages():
    text = open(os.path.join(REPO, "scripts", "setup.sh")).read()
    block = re.search(r"GP_PACKAGES=\((.*?)\n\)", text, flags=re.S).group(1)
    return re.findall(r'"([a-z0-9.+-]+):/', block), text


def commands(run):
    return [c.strip() for c in run.split("&&")]


def main():
    lines = joined(open(os.path.join(REPO, "Containerfile")).read())
    st = stages(lines)
    check(len(st) == 2, "two stages (build, image), got %d" % len(st))
    if len(st) != 2:
        return
    build, image = st
    for s in st:
        check(s["from"].split(" ")[0] in ("debian:bookworm-slim",),
              "a stage FROM %s, not debian:bookworm-slim" % s["from"])

    # packages
    setup, setup_text = setup_packages()
    wanted = [p for r in build["runs"] for p in installs(r)]
    note = [c for c in build["comments"] if "not needed" in c]
    check(len(note) == 1, "one comment of the build stage says which of setup.sh's packages "
          "it leaves out")
    left_out = note[0].split(":", 1)[1].split() if note and ":" in note[0] else []
    if note and not left_out:  # the list on the next comment line
        i = lines.index(note[0])
        left_out = lines[i + 1].lstrip("# ").split()
    check(set(wanted).isdisjoint(left_out), "packages both installed and left out: %s"
          % sorted(set(wanted) & set(left_out)))
    check(not set(left_out) - set(setup), "left out but not in setup.sh: %s"
          % sorted(set(left_out) - set(setup)))
    check(set(wanted) | set(left_out) == set(setup),
          "the build stage's packages (%s) and those left out (%s) are not setup.sh's (%s)"
          % (sorted(wanted), sorted(left_out), sorted(setup)))

    # build and install commands
    cmds = [c for r in build["runs"] for c in commands(r) if c.startswith("cmake")]
    m = re.search(r'^\s*cmake -S "\$GP_ROOT" -B "\$dir" (.*?) "\$@"', setup_text, flags=re.M)
    b = re.search(r'^\s*cmake --build "\$dir" (.*?) --', setup_text, flags=re.M)
    check(bool(m and b), "scripts/setup.sh's gp_build commands not found")
    if m and b:
        configure = "cmake -S . -B build " + m.group(1)
        check(any(c == configure or c.startswith(configure + " ") for c in cmds),
              "no `%s[ extra options]` among %s" % (configure, cmds))
        check(("cmake --build build " + b.group(1)) in cmds,
              "no `cmake --build build %s` among %s" % (b.group(1), cmds))
    readme = open(os.path.join(REPO, "README.md")).read()
    check("`cmake --install build --prefix DIR`" in readme, "the README's install command moved")
    prefix = [re.match(r"cmake --install build --prefix (\S+)$", c) for c in cmds]
    prefix = [p.group(1) for p in prefix if p]
    check(prefix == ["/usr/local"], "no `cmake --install build --prefix /usr/local`")

    # the image
    check('ENTRYPOINT ["goldpath"]' in image["other"], 'no ENTRYPOINT ["goldpath"]')
    workdir = [o.split()[1] for o in image["other"] if o.startswith("WORKDIR ")]
    check(workdir == ["/usr/local/share/doc/goldpath/examples"],
          "the image's WORKDIR is %s, not where the scenarios are installed" % workdir)
    cmake = open(os.path.join(REPO, "CMakeLists.txt")).read()
    check("DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/scenarios" in cmake,
          "CMakeLists.txt installs the scenarios elsewhere now")
    for job in ("sweep-job.yaml", "merge-job.yaml"):
        text = open(os.path.join(REPO, "deploy", "kubernetes", job)).read()
        check("workingDir: /usr/local/share/doc/goldpath/examples" in text,
              "%s runs in another folder than the image's" % job)
    runtime = [p for r in image["runs"] for p in installs(r)]
    check("gnuplot-nox" in runtime, "no gnuplot-nox in the image (plots)")
    if shutil.which("dpkg") and shutil.which("ldd"):
        linked = set()
        # a sanitizer build links the sanitizers' runtimes (and what they
        # need): the image's build has none
        cache = os.path.join(BUILD, "CMakeCache.txt")
        sanitized = os.path.exists(cache) and "GP_SANITIZE:BOOL=ON" in open(cache).read()
        skip = r"lib(asan|ubsan|lsan|tsan)\." + (r"|lib(stdc\+\+|gcc_s)\." if sanitized else "")
        for prog in ("harness/goldpath", "sut/server/goldpath-server"):
            out = subprocess.run(["ldd", os.path.join(BUILD, prog)], stdout=subprocess.PIPE,
                                 text=True).stdout
            for lib in re.findall(r"=> (/\S+)", out):
                if re.search(skip, os.path.basename(lib)):
                    continue
                for path in (os.path.realpath(lib), lib):
                    q = subprocess.run(["dpkg", "-S", path], stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, text=True)
                    if q.returncode == 0:
                        linked.add(q.stdout.split(":")[0])
                        break
        plugin = subprocess.run("dpkg -S 'libwebsockets-evlib_uv*'", shell=True,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        if plugin.returncode == 0:
            linked.add(plugin.stdout.split(":")[0])
        comes_with = set()
        if shutil.which("apt-cache"):
            out = subprocess.run(["apt-cache", "depends", "libwebsockets17"],
                                 stdout=subprocess.PIPE, text=True).stdout
            comes_with = set(re.findall(r"Depends: (\S+)", out))
        missing = linked - set(runtime) - {"libc6"} - comes_with
        check(not missing, "the image lacks the packages of %s (linked: %s)"
              % (sorted(missing), sorted(linked)))
    else:
        print("scale_containerfile: no dpkg/ldd: the runtime libraries are not checked")


main()
if errors:
    for e in errors:
        print("scale_containerfile: FAIL: " + e, file=sys.stderr)
    sys.exit(1)
print("scale_containerfile: Debian 12 stages, setup.sh's packages, its build commands and the "
      "README's install, the linked libraries in the image")
