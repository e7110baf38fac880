"""The Airflow 2 connection form of a ``signalwire`` connection (Airflow 3 reads ``conn-fields``)."""

from __future__ import annotations

from typing import Any

from airflow_provider_signalwire.get_provider_info import CONN_FIELDS, CONN_TYPE, UI_FIELD_BEHAVIOUR


def connection_form_widgets() -> dict[str, Any]:
    """
    Extra fields of the Airflow 2 connection form (Airflow 3 reads ``conn-fields`` instead).

    The fields have no defaults: a field left empty is not stored and the hook uses the default,
    which the placeholder shows. Airflow 2 prefills these fields only from truthy extras, so a
    stored ``0`` or ``false`` (a connection made from code or a secrets backend) would show as
    empty, or as a widget default, and be replaced on Save; each field shows the value it finds in
    the form's Extra JSON instead, so an edit keeps it.
    """
    import json

    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import StringField
    from wtforms.validators import Optional

    prefix = f"extra__{CONN_TYPE}__"

    def stored(field: Any) -> Any:
        """The field's value in the Extra JSON being edited (also when it is 0 or false)."""
        extra_field = getattr(getattr(field, "_form", None), "extra", None)
        try:
            extra = json.loads(getattr(extra_field, "data", None) or "{}")
        except (TypeError, ValueError):
            return None
        if not isinstance(extra, dict):
            return None
        name = field.name.removeprefix(prefix)
        value = extra.get(name)
        return extra.get(prefix + name) if value is None or value == "" else value

    # Airflow 2 accepts only its own field classes, so the widget (which renders the value the
    # browser sends back on Save) is where the stored value is filled in.
    class ExtraFieldWidget(BS3TextFieldWidget):
        def __call__(self, field: Any, **kwargs: Any) -> Any:
            value = field.data
            if value is None or value == "":
                value = stored(field)
            if isinstance(value, bool):
                kwargs.setdefault("value", "true" if value else "false")
            elif value is not None:
                kwargs.setdefault("value", str(value))
            return super().__call__(field, **kwargs)

    return {
        name: StringField(
            lazy_gettext(spec["label"]),
            widget=ExtraFieldWidget(),
            description=spec["description"] + " Leave empty for the default.",
            validators=[Optional()],
        )
        for name, spec in CONN_FIELDS.items()
    }


def ui_field_behaviour() -> dict[str, Any]:
    """Labels, hidden fields and placeholders of the Airflow 2 connection form.

    The extra fields' placeholders show their defaults: an empty field means the default.
    """
    placeholders = dict(UI_FIELD_BEHAVIOUR["placeholders"])
    placeholders.update(
        {name: f"{spec['schema']['default']} (default)" for name, spec in CONN_FIELDS.items()}
    )
    return {
        "hidden_fields": list(UI_FIELD_BEHAVIOUR["hidden-fields"]),
        "relabeling": dict(UI_FIELD_BEHAVIOUR["relabeling"]),
        "placeholders": placeholders,
    }
