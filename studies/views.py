"""The page where a signed-in user joins a study with its invite code."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from studies import services
from studies.forms import JoinForm


@login_required
def join(request: HttpRequest) -> HttpResponse:
    """``/studies/join/?code=...`` fills the code in; the user confirms with the button."""
    initial = {"invite_code": request.GET.get("code", "")}
    form = JoinForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            participant = services.participant_join(
                user=request.user, invite_code=form.cleaned_data["invite_code"]
            )
        except ValidationError as error:
            form.add_error("invite_code", error.message_dict.get("invite_code", error.messages))
        except (services.AlreadyEnrolled, services.StudyClosed) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"You have joined the study {participant.study.title!r}.")
            return redirect("builder")
    return render(request, "studies/join.html", {"form": form})
