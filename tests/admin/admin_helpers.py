"""Helpers for driving admin forms in tests."""


def change_form_data(response, **changes) -> dict:
    """The POST a browser would send from a change form, with some fields changed."""
    data = {}
    forms = [response.context["adminform"].form]
    formsets = [inline.formset for inline in response.context["inline_admin_formsets"]]
    while formsets:
        formset = formsets.pop(0)
        forms += [formset.management_form, *formset.forms]
        # nested_admin: a side effect's help rules are a formset inside its form.
        for form in formset.forms:
            formsets += getattr(form, "nested_formsets", [])
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            data[form.add_prefix(name)] = "on" if value is True else value
            if form.fields[name].show_hidden_initial:
                # Fields with a callable default carry their first value in a hidden input,
                # which a browser sends back: without it the field always looks changed.
                data[form.add_initial_prefix(name)] = value
    data.update(changes)
    return data
