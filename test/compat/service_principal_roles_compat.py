"""The official Databricks Python SDK granting and revoking roles on a service principal, unchanged.

Run by test/integration/hostile-users.test.ts with DJOBS_HOST and the tokens of the workspace admin,
alice and bob set. Through `w.account_access_control_proxy` (the account access-control rule sets a
workspace proxies): alice cannot make a job run as etl-bot until an admin grants her
roles/servicePrincipal.user; the job she then makes runs as etl-bot; bob, given
roles/servicePrincipal.manager, may change the rule set but not act as etl-bot himself; once he
revokes alice's role she is refused again. Prints OK.
"""
import os

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import BadRequest, PermissionDenied, ResourceConflict
from databricks.sdk.service import iam, jobs, workspace


def client(token):
    return WorkspaceClient(host=os.environ["DJOBS_HOST"], token=token, auth_type="pat")


admin, alice, bob = (client(os.environ[k]) for k in ("ADMIN_TOKEN", "ALICE_TOKEN", "BOB_TOKEN"))
NAME = "accounts/durable-jobs/servicePrincipals/etl-bot/ruleSets/default"
USER, MANAGER = "roles/servicePrincipal.user", "roles/servicePrincipal.manager"
# A notebook every user may read (/Shared), printing the uid its task runs under.
NOTEBOOK = "/Shared/service-principal-roles/print_uid"
admin.workspace.mkdirs("/Shared/service-principal-roles")
admin.workspace.upload(NOTEBOOK, b"import os\nprint(os.getuid())\n", language=workspace.Language.PYTHON, overwrite=True)


def create_as_bot(w, name):
    return w.jobs.create(
        name=name,
        run_as=jobs.JobRunAs(service_principal_name="etl-bot"),
        tasks=[jobs.Task(task_key="uid", notebook_task=jobs.NotebookTask(notebook_path=NOTEBOOK))],
    )


def refused(action, error, needle):
    try:
        action()
    except error as e:
        assert needle in str(e), str(e)
        return
    raise AssertionError(f"expected {error.__name__} ({needle})")


refused(lambda: create_as_bot(alice, "alice as bot"), PermissionDenied, "servicePrincipal/user role")

empty = alice.account_access_control_proxy.get_rule_set(name=NAME, etag="")
assert empty.name == NAME and empty.etag and not empty.grant_rules, empty


def update(w, etag, rules):
    return w.account_access_control_proxy.update_rule_set(
        name=NAME, rule_set=iam.RuleSetUpdateRequest(name=NAME, etag=etag, grant_rules=rules)
    )


grant_alice = iam.GrantRule(role=USER, principals=["users/alice@example.com"])
bob_manages = iam.GrantRule(role=MANAGER, principals=["users/bob@example.com"])
# Only admins and the service principal's managers change its rule set.
refused(lambda: update(alice, empty.etag, [grant_alice]), PermissionDenied, MANAGER)
# Every problem is named: an unknown principal, a role service principals do not have.
refused(
    lambda: update(admin, empty.etag, [iam.GrantRule(role=USER, principals=["users/nobody@example.com"])]),
    BadRequest,
    'rule_set.grant_rules[0].principals[0]: no principal "users/nobody@example.com" exists',
)
refused(lambda: update(admin, empty.etag, [iam.GrantRule(role="roles/workspace.admin", principals=["users/alice@example.com"])]), BadRequest, "rule_set.grant_rules[0].role")

granted = update(admin, empty.etag, [grant_alice, bob_manages])
assert granted.etag != empty.etag and [r.as_dict() for r in granted.grant_rules] == [grant_alice.as_dict(), bob_manages.as_dict()], granted
assert admin.account_access_control_proxy.get_rule_set(name=NAME, etag="").etag == granted.etag
# A write from a stale read is refused, not lost.
refused(lambda: update(admin, empty.etag, []), ResourceConflict, "read it again")

job = create_as_bot(alice, "alice as bot")
run = alice.jobs.run_now(job_id=job.job_id).result()
assert run.state.result_state == jobs.RunResultState.SUCCESS, run.state
print(f"JOB_RUN={run.run_id}")

# The manager role does not include the user role (as in Databricks).
refused(lambda: create_as_bot(bob, "bob as bot"), PermissionDenied, "servicePrincipal/user role")
revoked = update(bob, granted.etag, [bob_manages])
assert [r.as_dict() for r in revoked.grant_rules] == [bob_manages.as_dict()]

refused(lambda: create_as_bot(alice, "alice as bot again"), PermissionDenied, "servicePrincipal/user role")
# Nor may she change what the job she made runs, now that she may not act as its identity.
refused(
    lambda: alice.jobs.reset(
        job_id=job.job_id,
        new_settings=jobs.JobSettings(
            name="alice as bot",
            tasks=[jobs.Task(task_key="other", notebook_task=jobs.NotebookTask(notebook_path=NOTEBOOK))],
        ),
    ),
    PermissionDenied,
    "runs as etl-bot",
)
update(admin, revoked.etag, [])
print("OK")
