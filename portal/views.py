from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from .selectors import home_blocks


@login_required
def home(request):
    return render(request, "portal/home.html", {"blocks": home_blocks(request.user)})
