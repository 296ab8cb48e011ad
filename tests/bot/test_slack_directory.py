"""Who a Slack user is on the clusters: the organisation file, then their e-mail."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.services.directory import Directory
from storage.db import session
from tests.fakes.slack_fixtures import SLACK_TEST_TOKEN


def test_slack_users_map_by_file_then_by_email_of_our_domain(engine, organisation, slack_api):
    organisation.slack_users = {"heidi": "U07HEIDI"}
    organisation.email_domain = "example.org"
    slack_api.add_user(user_id="U07HEIDI", email="hh@personal.example")
    slack_api.add_user(user_id="U0BOB", email="bob@example.org")
    slack_api.add_user(user_id="U0FAKEBOB", email="bob@elsewhere.net")
    directory = Directory(organisation=organisation,
                          client=WebClient(token=SLACK_TEST_TOKEN, base_url=slack_api.api_url))
    with session(engine) as s:
        heidi = directory.person(session=s, slack_user_id="U07HEIDI")
        bob = directory.person(session=s, slack_user_id="U0BOB")
        impostor = directory.person(session=s, slack_user_id="U0FAKEBOB")
        s.commit()
    assert heidi is not None and heidi.name == "heidi" and heidi.team.name == "research"
    assert bob is not None and bob.name == "bob" and bob.team.name == "nlp"
    assert impostor is None  # bob@elsewhere.net is not our bob
    with session(engine) as s:
        assert directory.slack_id(session=s, name="heidi") == "U07HEIDI"
        assert directory.slack_id(session=s, name="bob") == "U0BOB"
