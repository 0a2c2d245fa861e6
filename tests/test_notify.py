"""E-mail to the owners of new alerts and cases (``workbench.features.notify``), sent to a local SMTP sink
(aiosmtpd in this process): who gets which alerts, what a message says, and what the configuration accepts."""

from __future__ import annotations

import email
import email.policy

import pytest

from tests.serving import free_port
from tests.test_scopes import survey
from workbench.core.access import Scope
from workbench.core.errors import WorkspaceError
from workbench.features import notify
from workbench.features.workspace import open_workspace

PASSWORD = "correct horse battery"


@pytest.fixture
def sink():
    """A local SMTP server keeping what it receives: (its port, the messages)."""
    from aiosmtpd.controller import Controller

    received: list[email.message.EmailMessage] = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
            received.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()


def test_the_configuration_names_a_server_or_nothing():
    assert notify.mailer({}) is None
    found = notify.mailer({"CXWB_SMTP_URL": "smtp://cx%40firma.cz:p%C3%A1ss@mail.firma.cz:587?starttls",
                           "CXWB_MAIL_FROM": "CX <cx@firma.cz>", "CXWB_APP_URL": "https://cx.firma.cz/"})  # fmt: skip
    assert found == notify.Mailer("mail.firma.cz", 587, "cx@firma.cz", "páss", "starttls", "CX <cx@firma.cz>",
                                  "https://cx.firma.cz")  # fmt: skip
    assert notify.mailer({"CXWB_SMTP_URL": "smtps://mail.firma.cz"}).port == 465
    with pytest.raises(ValueError, match="CXWB_SMTP_URL is smtp://"):
        notify.mailer({"CXWB_SMTP_URL": "http://mail.firma.cz"})


def test_each_owner_gets_their_new_alerts_and_cases_and_no_one_else_s(tmp_path, sink, small_journey):
    port, received = sink
    environ = {"CXWB_SMTP_URL": f"smtp://127.0.0.1:{port}", "CXWB_MAIL_FROM": "cx@firma.cz",
               "CXWB_APP_URL": "https://cx.firma.cz"}  # fmt: skip
    with open_workspace(tmp_path / "ws", environ=environ) as workspace:
        project = workspace.create_project("Síť")
        journey = workspace.create_journey(project, small_journey)
        answers = survey(5, 600)
        workspace.set_portal(project, "branch")
        workspace.datasets.add_table(project, answers.slice(0, 5), "Seed", "survey")  # the columns to scope on
        received.clear()
        people = (("brno", "Partner Brno", Scope((("branch", ("Brno",)),)), "brno@firma.cz"),
                  ("kuryri", "Kurýři", Scope(owners=("Couriers",)), "kuryri@firma.cz"),
                  ("ostrava", "Partner Ostrava", Scope((("branch", ("Ostrava",)),)), ""))  # fmt: skip
        for name, shown, scope, address in people:
            workspace.users.add(name, PASSWORD, shown)
            workspace.users.grant(name, project, "viewer", scope)
            workspace.users.set_email(name, address)
        with pytest.raises(WorkspaceError, match="is not an e-mail address"):
            workspace.users.set_email("brno", "brno@firma.cz\nBcc: everyone@firma.cz")
        before = {a.id for a in workspace.alerts.list(project)}
        workspace.datasets.add_table(project, answers, "Answers", "survey", journey_id=journey)
        workspace.datasets.settle()
        raised = [a for a in workspace.alerts.list(project) if a.id not in before]
    by = {message["To"]: message for message in received}
    assert set(by) == {"brno@firma.cz", "kuryri@firma.cz"}  # Ostrava's partner has no address
    brno = by["brno@firma.cz"]
    body = brno.get_content()
    theirs = [a for a in raised if a.owner == "Partner Brno"]
    assert brno["Subject"] == f"{len(theirs)} new alerts for you in Síť" and brno["From"] == "cx@firma.cz"
    assert body.startswith("Hello Partner Brno,") and body.count("\n- ") == len(theirs)
    assert "· Brno:" in body and "Ostrava" not in body and "(due " in body
    assert body.rstrip().endswith("Open your inbox: https://cx.firma.cz/alerts")
    couriers = by["kuryri@firma.cz"].get_content()
    lines = [line for line in couriers.splitlines() if line.startswith("- ")]
    assert lines and all(line.startswith("- Delivery") for line in lines)
    assert len(lines) == len([a for a in raised if a.owner == "Couriers"])


def test_a_message_carries_only_what_its_reader_may_read(tmp_path, sink, small_journey):
    port, received = sink
    with open_workspace(tmp_path / "ws", environ={"CXWB_SMTP_URL": f"smtp://127.0.0.1:{port}"}) as workspace:
        net, other = workspace.create_project("Net"), workspace.create_project("Other")
        journey = workspace.create_journey(net, small_journey)
        answers = survey(5, 600)
        workspace.set_portal(net, "branch")  # each unhappy answer a case of its branch
        workspace.datasets.add_table(net, answers.slice(0, 5), "Seed", "survey")
        received.clear()
        # Kurýři Brno own the couriers' touchpoints in Brno only; "Couriers" of another project shares the name.
        workspace.users.add("kuryri-brno", PASSWORD, "Kurýři Brno")
        workspace.users.grant("kuryri-brno", net, "viewer", Scope((("branch", ("Brno",)),), ("Couriers",)))
        workspace.users.add("namesake", PASSWORD, "Couriers")
        workspace.users.grant("namesake", other, "viewer")
        for name in ("kuryri-brno", "namesake"):
            workspace.users.set_email(name, f"{name}@firma.cz")
        workspace.datasets.add_table(net, answers, "Answers", "survey", journey_id=journey)
        workspace.datasets.settle()
        raised = workspace.alerts.list(net)
    by = {message["To"]: message.get_content() for message in received}
    assert any(a.owner == "Couriers" and a.alert.value not in ("", "Brno") for a in raised)  # theirs by name …
    assert "namesake@firma.cz" not in by  # … but no role in Net: none of its alerts
    lines = [line for line in by.get("kuryri-brno@firma.cz", "").splitlines() if line.startswith("- ")]
    assert all(line.startswith("- Delivery · Brno:") for line in lines)  # no other branch's couriers' alert
    assert not any(a.owner == "Kurýři Brno" and a.alert.touchpoint != "delivery" for a in raised)  # nor a case
    # at a touchpoint their scope does not show them
