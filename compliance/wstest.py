# Launcher for Autobahn|Testsuite's ``wstest`` command.
#
# This file runs under CPython 2.7 (the test suite never moved to Python 3),
# so it must stay valid in both Python 2 and Python 3 syntax: ruff lints it
# with the rest of the project.
#
# The suite is installed by ``make compliance-install`` with
# ``pip install --target compliance/.autobahn``. A --target folder is not a
# site directory, so its ``*.pth`` files (which create the ``zope``
# namespace package that Twisted needs) are not processed unless the folder
# is added with ``site.addsitedir()``; that is all this launcher does before
# handing over to ``autobahntestsuite.wstest.run()``.
#
# Usage:
#     python2.7 compliance/wstest.py [--target DIR] WSTEST-ARGS...
#     python2.7 compliance/wstest.py [--target DIR] --list-cases SPEC.json
#
# --list-cases prints, as a JSON list, the ids of the cases that SPEC.json
# selects ("cases" minus "exclude-cases"), so that the results checker can
# tell a missing case from a passing one.

import json
import os
import site
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))


def setup(target):
    if not os.path.isdir(os.path.join(target, "autobahntestsuite")):
        sys.stderr.write(
            "error: Autobahn|Testsuite is not installed in "
            + target
            + "\nrun `make compliance-install` first\n"
        )
        sys.exit(2)
    # Put the folder first, so that its pinned setuptools / pkg_resources
    # win over whatever the interpreter's own site-packages holds, then let
    # site process its .pth files.
    sys.path.insert(0, target)
    site.addsitedir(target)
    # cryptography warns on every start that Python 2 is unsupported.
    warnings.filterwarnings("ignore", message=".*Python 2 is no longer supported")


def list_cases(spec_path):
    from autobahntestsuite.case import (
        CaseBasename,
        CaseCategories,
        Cases,
        CaseSetname,
        CaseSubCategories,
    )
    from autobahntestsuite.caseset import CaseSet

    with open(spec_path) as f:
        spec = json.load(f)
    case_set = CaseSet(
        CaseSetname, CaseBasename, Cases, CaseCategories, CaseSubCategories
    )
    sys.stdout.write(json.dumps(case_set.parseSpecCases(spec)) + "\n")


def main():
    args = sys.argv[1:]
    target = os.environ.get("AUTOBAHN_TARGET", os.path.join(HERE, ".autobahn"))
    if args[:1] == ["--target"] and len(args) >= 2:
        target = os.path.abspath(args[1])
        args = args[2:]
    setup(target)
    if args[:1] == ["--list-cases"] and len(args) == 2:
        list_cases(args[1])
        return
    from autobahntestsuite.wstest import run

    sys.argv[0] = os.path.join(HERE, "wstest.py")
    sys.argv[1:] = args
    run()


if __name__ == "__main__":
    main()
