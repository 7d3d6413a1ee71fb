"""The official Databricks Python SDK managing notification destinations, unchanged.

Run by test/integration/notification-destinations-api.test.ts with DJOBS_HOST and DJOBS_TOKEN
(a workspace admin's) set. Prints OK when create, list (over pages), get, update and delete behave
as they do against Databricks, and no response carries a secret.
"""
import os
import time

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import NotFound
from databricks.sdk.service import settings

w = WorkspaceClient(host=os.environ["DJOBS_HOST"], token=os.environ["DJOBS_TOKEN"], auth_type="pat")
SLACK_URL = "https://hooks.slack.com/services/T000/B000/sdk-secret-slack"
PD_KEY = "sdk-secret-pagerduty-key-000000"

slack = w.notification_destinations.create(
    display_name="sdk slack", config=settings.Config(slack=settings.SlackConfig(url=SLACK_URL))
)
assert slack.id and slack.destination_type == settings.DestinationType.SLACK, slack
assert slack.config.slack.url_set is True and slack.config.slack.url is None, slack.config

mail = w.notification_destinations.create(
    display_name="sdk mail", config=settings.Config(email=settings.EmailConfig(addresses=["ops@example.com"]))
)
assert mail.destination_type == settings.DestinationType.EMAIL
assert w.notification_destinations.get(mail.id).config.email.addresses == ["ops@example.com"]

pd = w.notification_destinations.create(
    display_name="sdk pagerduty", config=settings.Config(pagerduty=settings.PagerdutyConfig(integration_key=PD_KEY))
)
hook = w.notification_destinations.create(
    display_name="sdk hook",
    config=settings.Config(
        generic_webhook=settings.GenericWebhookConfig(url="https://example.com/hook", username="u", password="sdk-secret-pw")
    ),
)
got = w.notification_destinations.get(hook.id)
assert got.destination_type == settings.DestinationType.WEBHOOK
assert (got.config.generic_webhook.url_set, got.config.generic_webhook.username_set, got.config.generic_webhook.password_set) == (True, True, True)
assert got.config.generic_webhook.password is None

# list follows next_page_token: page_size 1 makes a page per destination
mine = {slack.id, mail.id, pd.id, hook.id}
# listing reads Temporal's visibility store, which sees a new destination a moment after its creation
deadline = time.time() + 30
while True:
    listed = list(w.notification_destinations.list(page_size=1))
    if mine <= {d.id for d in listed} or time.time() > deadline:
        break
    time.sleep(0.5)
ids = [d.id for d in listed]
assert len(ids) == len(set(ids)), ids
assert mine <= set(ids), (mine, ids)
by_id = {d.id: d for d in listed}
assert by_id[pd.id].display_name == "sdk pagerduty" and by_id[pd.id].destination_type == settings.DestinationType.PAGERDUTY

# update: a new name, and a new secret of the same receiver
renamed = w.notification_destinations.update(slack.id, display_name="sdk slack renamed")
assert renamed.display_name == "sdk slack renamed" and renamed.config.slack.url_set is True
again = w.notification_destinations.update(
    pd.id, config=settings.Config(pagerduty=settings.PagerdutyConfig(integration_key="sdk-secret-new-key"))
)
assert again.config.pagerduty.integration_key_set is True and again.display_name == "sdk pagerduty"

for d in (slack, mail, pd, hook):
    w.notification_destinations.delete(d.id)
try:
    w.notification_destinations.get(slack.id)
    raise AssertionError("a deleted destination is still readable")
except NotFound as e:
    assert f"Notification destination {slack.id} does not exist." in str(e), e

print("OK")
