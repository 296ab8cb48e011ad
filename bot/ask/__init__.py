"""`ask`: questions in plain words answered from the data (docs/ask.md)."""

from bot.ask.access import Viewer, viewer_for_slack, viewer_for_user
from bot.ask.answer import Answer, AnswerCache, Source
from bot.ask.blocks import RUN_COMMAND_ACTION, answer_blocks, slack_response
from bot.ask.questions import answer_question

__all__ = ["RUN_COMMAND_ACTION", "Answer", "AnswerCache", "Source", "Viewer", "answer_blocks",
           "answer_question", "slack_response", "viewer_for_slack", "viewer_for_user"]
