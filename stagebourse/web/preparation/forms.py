from flask_wtf import FlaskForm


class AcknowledgeForm(FlaskForm):
    """Only the CSRF token: the button says "J'ai lu ces documents"."""
