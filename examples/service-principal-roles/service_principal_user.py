"""Grant (or revoke) Databricks' roles/servicePrincipal.user on a service principal, with the
official Python SDK: the holder may then name the service principal in a job's run_as.

    DATABRICKS_HOST=http://127.0.0.1:8080 DATABRICKS_TOKEN=<admin or manager token> \
        python service_principal_user.py etl-bot alice@example.com [--revoke]

The same code works against a Databricks workspace (with its account id in NAME).
"""
import sys

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import iam

USER_ROLE = "roles/servicePrincipal.user"

service_principal, user = sys.argv[1], sys.argv[2]
revoke = "--revoke" in sys.argv[3:]
w = WorkspaceClient()
name = f"accounts/durable-jobs/servicePrincipals/{service_principal}/ruleSets/default"

# Read-modify-write: the etag of the read makes a concurrent change fail rather than be lost.
current = w.account_access_control_proxy.get_rule_set(name=name, etag="")
rules = [r for r in current.grant_rules or [] if r.role != USER_ROLE]
holders = {p for r in current.grant_rules or [] if r.role == USER_ROLE for p in r.principals or []}
holders = holders - {f"users/{user}"} if revoke else holders | {f"users/{user}"}
if holders:
    rules.append(iam.GrantRule(role=USER_ROLE, principals=sorted(holders)))
updated = w.account_access_control_proxy.update_rule_set(
    name=name, rule_set=iam.RuleSetUpdateRequest(name=name, etag=current.etag, grant_rules=rules)
)
for rule in updated.grant_rules or []:
    print(rule.role, " ".join(rule.principals or []))
