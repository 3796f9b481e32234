"""The pages and areas of the web app, each a class that builds its components (``on_building_ui``) and
wires them (``on_register_events``)."""

from .base import AppContext, BasePage
from .browse import BrowsePage
from .chat import ChatPage
from .feedback import FeedbackArea
from .header import Header

__all__ = ["AppContext", "BasePage", "BrowsePage", "ChatPage", "FeedbackArea", "Header"]
