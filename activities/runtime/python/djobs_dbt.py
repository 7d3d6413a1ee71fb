"""Runs a dbt_task's commands the way Databricks does: in order, each a `dbt ...` command line,
stopping at the first that fails, in a copy of the project.

  djobs_dbt.py --project DIR --work DIR --artifacts FILE
               [--profiles-dir DIR | --generate-profile DUCKDB_FILE --schema S [--catalog C]]
               -- COMMAND...

A generated profile points dbt-duckdb at the warehouse's DuckDB file, under the profile name the
project's dbt_project.yml asks for. The project's target/ (manifest.json, run_results.json, ...)
is archived to FILE at the end, whether the commands succeeded or not.
"""
import argparse
import os
import shlex
import shutil
import sys
import tarfile


def generated_profile(project, work, database, schema, catalog):
    import yaml

    with open(os.path.join(project, "dbt_project.yml")) as f:
        name = (yaml.safe_load(f) or {}).get("profile") or "default"
    output = {"type": "duckdb", "path": database, "schema": schema, "threads": 1}
    if catalog:
        # The warehouse's file under the catalog's name: dbt's models then live in that catalog.
        output = {
            "type": "duckdb",
            "path": ":memory:",
            "database": catalog,
            "schema": schema,
            "threads": 1,
            "attach": [{"path": database, "alias": catalog}],
        }
    profiles_dir = os.path.join(work, "profiles")
    os.makedirs(profiles_dir, exist_ok=True)
    with open(os.path.join(profiles_dir, "profiles.yml"), "w") as f:
        yaml.safe_dump({name: {"target": "djobs", "outputs": {"djobs": output}}}, f)
    return profiles_dir


def archive(target, artifacts):
    with tarfile.open(artifacts, "w:gz") as tar:
        if os.path.isdir(target):
            for entry in sorted(os.listdir(target)):
                if entry.endswith(".json") or entry in ("compiled", "run"):
                    tar.add(os.path.join(target, entry), arcname=os.path.join("target", entry))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--project", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--profiles-dir")
    parser.add_argument("--generate-profile")
    parser.add_argument("--schema")
    parser.add_argument("--catalog")
    parser.add_argument("commands", nargs="+")
    args = parser.parse_args()

    project = os.path.join(args.work, "project")
    shutil.copytree(
        args.project, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".git")
    )
    if args.generate_profile:
        profiles_dir = generated_profile(project, args.work, args.generate_profile, args.schema, args.catalog)
    else:
        profiles_dir = args.profiles_dir
    os.chdir(project)
    # A task reaches package registries only: no usage statistics, no version check.
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DBT_VERSION_CHECK", "false")
    os.environ.setdefault("DBT_USE_COLORS", "false")
    from dbt.cli.main import dbtRunner

    failed = None
    try:
        for command in args.commands:
            words = shlex.split(command)
            print(f"djobs: {command}", flush=True)
            result = dbtRunner().invoke([*words[1:], "--profiles-dir", profiles_dir, "--project-dir", project])
            if not result.success:
                failed = command
                break
    finally:
        archive(os.path.join(project, "target"), args.artifacts)
    if failed is not None:
        print(f"dbt command failed: {failed}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
