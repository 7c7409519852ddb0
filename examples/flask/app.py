"""A small Flask notes app, unchanged by the gateway: log in (Flask's own signed session cookie), post
notes with a form, see one note or a 404, log out.

Run it alone: flask --app app run --port 5000  (log in as alice / alice-password)
"""
import os

from flask import Flask, abort, redirect, render_template_string, request, session

app = Flask(__name__)
app.secret_key = os.environ.get("NOTES_SECRET", "change-me-in-production")

USERS = {"alice": "alice-password", "bob": "bob-password"}
NOTES = []  # (author, text), in memory: the example has no database

PAGE = """<!doctype html>
<title>{{ title }} · Notes</title>
{% if user %}<p>Signed in as {{ user }}.</p><form method="post" action="/logout"><button>Log out</button></form>
{% else %}<p><a href="/login">Log in</a></p>{% endif %}
<h1>{{ title }}</h1>
{{ body|safe }}
"""


def page(title, body, status=200):
    return render_template_string(PAGE, title=title, body=body, user=session.get("user")), status


@app.get("/")
def index():
    items = "".join(
        render_template_string('<li><a href="/notes/{{ i }}">{{ text }}</a> by {{ author }}</li>', i=i, text=text, author=author)
        for i, (author, text) in enumerate(NOTES)
    )
    form = '<form method="post" action="/notes"><input name="text"><button>Add</button></form>' if "user" in session else ""
    return page("Notes", render_template_string("<ul>{{ items|safe }}</ul>{{ form|safe }}", items=items, form=form))


@app.route("/login", methods=["GET", "POST"])
def login():
    form = '<form method="post"><input name="username"><input name="password" type="password"><button>Log in</button></form>'
    if request.method == "POST":
        name = request.form.get("username", "")
        if USERS.get(name) != request.form.get("password"):
            return page("Log in", render_template_string("<p>Wrong username or password.</p>{{ form|safe }}", form=form), 401)
        session["user"] = name
        return redirect(request.args.get("next", "/"))
    return page("Log in", render_template_string("{{ form|safe }}", form=form))


@app.post("/notes")
def add_note():
    if "user" not in session:
        return redirect("/login?next=/")
    text = request.form.get("text", "").strip()
    if not text:
        return page("Notes", "<p>A note needs some text.</p>", 400)
    NOTES.append((session["user"], text))
    return redirect(f"/notes/{len(NOTES) - 1}", code=303)


@app.get("/notes/<int:index>")
def note(index):
    if index >= len(NOTES):
        abort(404)
    author, text = NOTES[index]
    return page(f"Note {index}", render_template_string("<p>{{ text }}</p><p>by {{ author }}</p>", text=text, author=author))


@app.post("/logout")
def logout():
    session.clear()
    return redirect("/")


@app.get("/healthz")
def healthz():
    return {"ok": True}
