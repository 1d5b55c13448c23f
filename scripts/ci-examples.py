#!/usr/bin/env python3
"""Runs the README's CI examples the way their runners would, in a fake
user repository (scripts/ci-examples.sh makes it and checks the outcome).

  ci-examples.py github README.md ACTION_DIR REPO
  ci-examples.py gitlab README.md TEMPLATE REPO

github: the workflow after the README's "ci-example github" marker; its
run: steps in order with bash -eo pipefail, as GitHub's bash shell runs
them; a step using hsdecode/hsdecode@REF runs ACTION_DIR/action.yml's
steps with its inputs (with:, else the defaults) substituted for
${{ inputs.* }}; actions/* steps stand for what the fake repository
already has (a checkout, Go). Lines GITHUB_PATH receives go before PATH
in the following steps.

gitlab: the job after the "ci-example gitlab" marker, merged with the
template it includes and extends (variables: the job's over the
template's); its script: lines run in one sh -e, with the variables in
the environment, $VARS in them expanded as GitLab expands them.

Prints the job's output and, last, "JOB: success" or "JOB: failure";
exits 0 either way unless the example could not be run (2).
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml


def example(readme, kind):
    text = open(readme).read()
    m = re.search(r"<!-- ci-example %s: [^>]* -->\n```yaml\n(.*?)```" % kind, text, re.S)
    if not m:
        sys.exit("ci-examples: no ci-example %s block in %s" % (kind, readme))
    return yaml.safe_load(m.group(1))


EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def substitute(s, values):
    def one(m):
        if m.group(1) not in values:
            sys.exit("ci-examples: expression %r unknown to this runner" % m.group(0))
        return str(values[m.group(1)])
    return EXPR.sub(one, str(s))


def run_script(script, env, cwd, shell):
    with tempfile.NamedTemporaryFile("w", suffix=".sh", delete=False) as f:
        f.write(script)
    try:
        p = subprocess.run(shell + [f.name], env=env, cwd=cwd, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=600)
    finally:
        os.unlink(f.name)
    sys.stdout.write(p.stdout)
    return p.returncode


def github(readme, action_dir, repo):
    wf = example(readme, "github")
    tmp = tempfile.mkdtemp(prefix="runner-temp-")
    path_file = os.path.join(tmp, "github_path")
    open(path_file, "w").close()
    base = dict(os.environ, CI="true", GITHUB_ACTIONS="true", GITHUB_WORKSPACE=repo,
                RUNNER_TEMP=tmp, GITHUB_PATH=path_file)
    bash = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]

    def env_for(extra):
        env = dict(base, **extra)
        added = [l for l in open(path_file).read().splitlines() if l]
        env["PATH"] = os.pathsep.join(list(reversed(added)) + [base["PATH"]])
        return env

    def action(step, ref):
        spec = yaml.safe_load(open(os.path.join(action_dir, "action.yml")))
        given = step.get("with", {}) or {}
        values = {"github.action_ref": ref, "github.action_path": action_dir, "runner.temp": tmp}
        for name, inp in spec["inputs"].items():
            if inp.get("required") and name not in given:
                sys.exit("ci-examples: input %s required" % name)
            values["inputs." + name] = given.get(name, inp.get("default", ""))
        for s in spec["runs"]["steps"]:
            print("== action step: %s" % s.get("name", "?"), flush=True)
            env = {k: substitute(v, values) for k, v in (s.get("env") or {}).items()}
            if run_script(substitute(s["run"], values), env_for(env), repo, bash) != 0:
                return 1
        return 0

    failed = False
    for name, job in wf["jobs"].items():
        for step in job["steps"]:
            cond = str(step.get("if", "success()"))
            if failed and "always()" not in cond:
                continue
            uses = step.get("uses", "")
            print("== %s: %s" % (name, step.get("name", uses or "run")), flush=True)
            if uses.startswith("hsdecode/hsdecode@"):
                status = action(step, uses.split("@", 1)[1])
            elif uses.startswith("actions/"):
                print("(stands for what the fake repository has)")
                status = 0
            elif "run" in step:
                status = run_script(substitute(step["run"], {}), env_for({}), repo, bash)
            else:
                sys.exit("ci-examples: step %r unknown to this runner" % step)
            failed = failed or status != 0
    print("JOB: %s" % ("failure" if failed else "success"))


def gitlab(readme, template, repo):
    ci = example(readme, "gitlab")
    tpl = yaml.safe_load(open(template))
    jobs = {k: v for k, v in ci.items() if k not in ("include", "stages", "variables", "default")}
    if len(ci.get("include", [])) != 1 or "hsdecode.gitlab-ci.yml" not in ci["include"][0]["remote"]:
        sys.exit("ci-examples: the example does not include the template")
    failed = False
    for name, job in jobs.items():
        parent = tpl[job["extends"]]
        merged = dict(parent, **{k: v for k, v in job.items() if k != "variables"})
        variables = dict(parent.get("variables", {}), **job.get("variables", {}))
        env = dict(os.environ, CI="true", GITLAB_CI="true", CI_PROJECT_DIR=repo)
        for k, v in variables.items():
            env[k] = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), str(v))
        print("== %s (image %s)" % (name, merged.get("image")), flush=True)
        script = "\n".join(merged["script"]) + "\n"
        failed = failed or run_script(script, env, repo, ["sh", "-e"]) != 0
    print("JOB: %s" % ("failure" if failed else "success"))


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("github", "gitlab"):
        sys.exit(__doc__)
    {"github": github, "gitlab": gitlab}[sys.argv[1]](*sys.argv[2:])
