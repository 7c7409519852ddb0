"""Log in (Django's session cookie), post notes with a CSRF-protected form, see one note or a 404, log out."""
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_POST

USERS = {"alice": "alice-password", "bob": "bob-password"}
NOTES = []  # (author, text), in memory: the example has no database


def page(request, title, body, status=200):
    user = request.session.get("user")
    who = (
        f'<p>Signed in as {escape(user)}.</p><form method="post" action="/logout/">{csrf(request)}<button>Log out</button></form>'
        if user
        else '<p><a href="/login/">Log in</a></p>'
    )
    html = f"<!doctype html>\n<title>{escape(title)} · Notes</title>\n{who}\n<h1>{escape(title)}</h1>\n{body}\n"
    return HttpResponse(html, status=status)


def csrf(request):
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{get_token(request)}">'


@require_GET
def index(request):
    items = "".join(f'<li><a href="/notes/{i}/">{escape(text)}</a> by {escape(author)}</li>' for i, (author, text) in enumerate(NOTES))
    form = f'<form method="post" action="/notes/">{csrf(request)}<input name="text"><button>Add</button></form>' if "user" in request.session else ""
    return page(request, "Notes", f"<ul>{items}</ul>{form}")


def login(request):
    form = f'<form method="post">{csrf(request)}<input name="username"><input name="password" type="password"><button>Log in</button></form>'
    if request.method == "POST":
        name = request.POST.get("username", "")
        if USERS.get(name) != request.POST.get("password"):
            return page(request, "Log in", f"<p>Wrong username or password.</p>{form}", status=401)
        request.session.cycle_key()
        request.session["user"] = name
        return HttpResponseRedirect(request.GET.get("next", "/"))
    return page(request, "Log in", form)


@require_POST
def add_note(request):
    if "user" not in request.session:
        return HttpResponseRedirect("/login/?next=/")
    text = request.POST.get("text", "").strip()
    if not text:
        return page(request, "Notes", "<p>A note needs some text.</p>", status=400)
    NOTES.append((request.session["user"], text))
    return redirect_see_other(f"/notes/{len(NOTES) - 1}/")


def redirect_see_other(location):
    response = HttpResponseRedirect(location)
    response.status_code = 303
    return response


@require_GET
def note(request, index):
    if index >= len(NOTES):
        raise Http404("no such note")
    author, text = NOTES[index]
    return page(request, f"Note {index}", f"<p>{escape(text)}</p><p>by {escape(author)}</p>")


@require_POST
def logout(request):
    request.session.flush()
    return HttpResponseRedirect("/")


def healthz(request):
    return JsonResponse({"ok": True})
