"""scikit-learn adapter: :class:`TPESearchCV`, a drop-in replacement for
``GridSearchCV`` / ``RandomizedSearchCV`` driven by an sktune study."""

from sktune.sklearn._search import TPESearchCV

__all__ = ["TPESearchCV"]
