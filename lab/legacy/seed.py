#!/usr/bin/env python3
"""Seed data generator for the sample legacy helpdesk.

Writes a SQL script to stdout, meant to be piped into psql on the database
host:

    python3 seed.py --users 50 --tickets 1000 --password-hash "$HASH" | \
        psql -X -v ON_ERROR_STOP=1 -d helpdesk

Stdlib only: it runs with the target's plain python3, where no virtualenv
exists. The script is one transaction that starts with a guard refusing to
run when any seeded table already holds rows, so seeding twice fails and
changes nothing.

Output is streamed in chunks of tickets (each chunk: COPY tickets, then its
ticket_tags, comments and audit_log rows), so memory stays flat whatever
--tickets is, and every FK target exists before the rows that point at it.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import datetime, timedelta, timezone

# Fixed clock: timestamps must not depend on when the script runs, or the
# same --seed would give different bytes.
EPOCH = datetime(2016, 1, 4, 0, 0, 0, tzinfo=timezone.utc)  # midnight: ts() relies on it
SPAN_SECONDS = 9 * 365 * 24 * 3600  # tickets are spread over about nine years
CHUNK = 5000  # tickets per group of COPY blocks
NULL = "\\N"  # COPY text format

# Must match the rows schema.sql inserts into ticket_statuses.
STATUSES = ("open", "pending", "resolved", "closed")
STATUS_WEIGHTS = (25, 15, 30, 30)
PRIORITY_WEIGHTS = (5, 15, 50, 20, 10)  # priorities 1..5

FIRST_NAMES = ("Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ida",
               "Jonas", "Karin", "Lukas", "Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa",
               "Sven", "Tara", "Uwe", "Vera", "Walter", "Xenia", "Yusuf", "Zoe")
LAST_NAMES = ("Adler", "Berg", "Costa", "Dietrich", "Eriksen", "Fischer", "Garcia", "Hansen",
              "Ivanova", "Jensen", "Koch", "Larsen", "Meyer", "Nowak", "Olsen", "Petrov",
              "Quint", "Richter", "Schmidt", "Tanaka", "Ulrich", "Vogel", "Weber", "Young")
TAG_WORDS = ("billing", "network", "printer", "vpn", "email", "hardware", "software",
             "access", "password", "laptop", "phone", "wifi", "backup", "database", "server",
             "security", "onboarding", "offboarding", "license", "monitor", "keyboard",
             "calendar", "storage", "web", "mobile", "urgent", "question", "bug", "feature",
             "docs", "sso", "dns", "firewall", "payroll", "crm", "erp", "shipping", "invoice")
SUBJECT_VERBS = ("Cannot", "Unable to", "Please help me", "How do I", "Need to", "Failing to",
                 "Request to", "Error when trying to", "Slow when I", "Question: how to")
SUBJECT_OBJECTS = ("log in to the portal", "print the monthly report", "connect to the VPN",
                   "reset my password", "open the shared drive", "send e-mail to customers",
                   "install the new client", "access the CRM", "sync my calendar",
                   "export invoices", "book a meeting room", "renew the license",
                   "restore a deleted file", "join the wifi", "update my phone number",
                   "see the dashboard", "upload the contract", "change my shipping address")
SENTENCES = ("It worked fine until yesterday.", "I already restarted the machine.",
             "Several colleagues see the same problem.", "The error message says 'timeout'.",
             "This blocks our month-end closing.", "Screenshots are on the shared drive.",
             "It only happens in the morning.", "I tried another browser, same result.",
             "Could you please have a look today?", "No rush, but it is annoying.",
             "The issue started after the last update.", "It happens on the office network only.")
REPLIES = ("Thanks, we are looking into it.", "Could you send the exact error message?",
           "Please try again now.", "This is fixed on our side.", "Still broken for me.",
           "Works now, thank you!", "Escalated to the second level.",
           "We need your manager's approval for this.", "Duplicate of an older ticket.",
           "Can you reproduce it with another account?")

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def esc(value: str) -> str:
    """Escape a text value for COPY's text format."""
    return value.translate(_ESCAPES)


# The fixed texts are escaped once instead of once per row.
SENTENCES_COPY = tuple(esc(s) for s in SENTENCES)
REPLIES_COPY = tuple(esc(s) for s in REPLIES)


_DAYS: dict[int, str] = {}


def ts(seconds: int) -> str:
    """Timestamp text for COPY. strftime per row was a third of the run time
    at 1M tickets, so dates are cached per day and the time is formatted by hand."""
    day, rest = divmod(seconds, 86400)
    date = _DAYS.get(day)
    if date is None:
        date = _DAYS[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    hour, rest = divmod(rest, 3600)
    minute, second = divmod(rest, 60)
    return f"{date} {hour:02d}:{minute:02d}:{second:02d}+00"


def tag_names(count: int) -> list[str]:
    names = []
    for i in range(count):
        word = TAG_WORDS[i % len(TAG_WORDS)]
        rnd = i // len(TAG_WORDS)
        names.append(word if rnd == 0 else f"{word}-{rnd + 1}")
    return names


def user_names(count: int) -> list[str]:
    """admin, then user001, user002, ... (wider numbers only when needed)."""
    width = max(3, len(str(count - 1)))
    return ["admin"] + [f"user{i:0{width}d}" for i in range(1, count)]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write a SQL script (COPY blocks, one transaction) that seeds the "
                    "legacy helpdesk schema. Pipe it into: psql -X -v ON_ERROR_STOP=1")
    parser.add_argument("--users", type=int, required=True,
                        help="number of users including 'admin' (>= 1)")
    parser.add_argument("--tickets", type=int, required=True, help="number of tickets (>= 0)")
    # The environment keeps the hash out of process listings.
    parser.add_argument("--password-hash", default=os.environ.get("SEED_PASSWORD_HASH"),
                        help="hash for every user, made by PHP password_hash() (e.g. $2y$10$...); "
                             "default: $SEED_PASSWORD_HASH")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--comments-per-ticket", type=int, default=3,
                        help="exact number of comments on each ticket (default 3)")
    parser.add_argument("--tags", type=int, default=30, help="number of tags (default 30)")
    args = parser.parse_args(argv)
    # argparse exits with status 2 on usage errors; keep the same code for ours.
    if args.users < 1:
        parser.error("--users must be at least 1 (the admin user)")
    for name in ("tickets", "comments_per_ticket", "tags"):
        if getattr(args, name) < 0:
            parser.error(f"--{name.replace('_', '-')} must not be negative")
    if not args.password_hash:
        parser.error("--password-hash or $SEED_PASSWORD_HASH is required")
    if not args.password_hash.startswith("$") or any(c in args.password_hash for c in " \t\r\n\\"):
        parser.error("--password-hash does not look like a PHP password_hash() result "
                     "(expected something like $2y$10$...)")
    if len(args.password_hash) > 255:
        parser.error("--password-hash is longer than users.password_hash (255)")
    return args


PREAMBLE = r"""-- Generated by lab/legacy/seed.py {argline}
\set ON_ERROR_STOP on
SET client_min_messages = warning;
BEGIN;
-- Keep the apps from writing while we check emptiness and load; reads still work.
LOCK TABLE users, tags, tickets, ticket_tags, comments, audit_log IN EXCLUSIVE MODE;
DO $guard$
BEGIN
    IF EXISTS (SELECT 1 FROM users) OR EXISTS (SELECT 1 FROM tickets)
       OR EXISTS (SELECT 1 FROM tags) OR EXISTS (SELECT 1 FROM comments)
       OR EXISTS (SELECT 1 FROM ticket_tags) OR EXISTS (SELECT 1 FROM audit_log) THEN
        RAISE EXCEPTION 'seed refused: the helpdesk tables already hold rows; nothing was changed'
            USING HINT = 'seed.py only loads into an empty schema (users, tickets, tags, comments, ticket_tags, audit_log).';
    END IF;
END
$guard$;
"""

EPILOGUE = """-- Later inserts by the apps must not collide with the seeded ids.
-- (PERFORM inside DO keeps psql's output free of setval result tables.)
DO $seq$
BEGIN
    PERFORM setval(pg_get_serial_sequence('users', 'id'), {users}, true);
    PERFORM setval(pg_get_serial_sequence('tags', 'id'), {tags}, {tags_called});
    PERFORM setval(pg_get_serial_sequence('tickets', 'id'), {tickets}, {tickets_called});
    PERFORM setval(pg_get_serial_sequence('comments', 'id'), {comments}, {comments_called});
END
$seq$;
COMMIT;
ANALYZE users, tags, tickets, ticket_tags, comments, audit_log;
"""


def generate(args: argparse.Namespace, out) -> None:
    rng = random.Random(args.seed)
    write = out.write
    argline = (f"--users {args.users} --tickets {args.tickets} --seed {args.seed} "
               f"--comments-per-ticket {args.comments_per_ticket} --tags {args.tags}")
    write(PREAMBLE.format(argline=argline))

    nusers = args.users
    pw = esc(args.password_hash)
    users = user_names(nusers)
    login_audit = []  # (happened_at, user_id, username); at most one per user, small
    write("COPY users (id, username, email, password_hash, full_name, is_admin, is_active, "
          "created_at, last_login) FROM stdin;\n")
    for uid, name in enumerate(users, start=1):
        full = "Helpdesk Admin" if uid == 1 else f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        # Every 25th ordinary user has left: exercises is_active and the partial
        # unique index on email, and the login page's refusal of such users.
        active = uid == 1 or (uid - 1) % 25 != 0
        created = -rng.randrange(30 * 86400, 400 * 86400)
        last_login = "\\N"
        if rng.random() < 0.8:
            seconds = rng.randrange(SPAN_SECONDS)
            last_login = ts(seconds)
            login_audit.append((seconds, uid, name))
        write(f"{uid}\t{name}\t{name}@helpdesk.example.com\t{pw}\t{esc(full)}\t"
              f"{'t' if uid == 1 else 'f'}\t{'t' if active else 'f'}\t{ts(created)}\t{last_login}\n")
    write("\\.\n")

    ntags = args.tags
    if ntags:
        write("COPY tags (id, name) FROM stdin;\n")
        for tid, name in enumerate(tag_names(ntags), start=1):
            write(f"{tid}\t{name}\n")
        write("\\.\n")

    if login_audit:
        write("COPY audit_log (happened_at, user_id, action, entity, entity_id, details) FROM stdin;\n")
        for seconds, uid, name in sorted(login_audit):
            write(f"{ts(seconds)}\t{uid}\tlogin\tuser\t{uid}\t{name}\n")
        write("\\.\n")

    ntickets = args.tickets
    cpt = args.comments_per_ticket
    comment_id = 0
    step = SPAN_SECONDS / max(ntickets, 1)
    tag_range = range(1, ntags + 1)
    max_tags = min(3, ntags)
    for start in range(1, ntickets + 1, CHUNK):
        stop = min(start + CHUNK, ntickets + 1)
        t_rows, tt_rows, c_rows, a_rows = [], [], [], []
        for tid in range(start, stop):
            created = int((tid - 1) * step) + rng.randrange(int(step) + 1)
            # Subject words carry no COPY specials, so no esc() needed.
            subj = f"{rng.choice(SUBJECT_VERBS)} {rng.choice(SUBJECT_OBJECTS)}"
            # An escaped newline: the body's lines are separate sentences.
            body = "\\n".join(rng.sample(SENTENCES_COPY, rng.randint(1, 4)))
            status = rng.choices(STATUSES, STATUS_WEIGHTS)[0]
            priority = rng.choices((1, 2, 3, 4, 5), PRIORITY_WEIGHTS)[0]
            reporter = rng.randint(1, nusers)
            assignee = rng.randint(1, nusers) if rng.random() < 0.8 else None
            created_ts = ts(created)
            a_rows.append(f"{created_ts}\t{reporter}\tcreate\tticket\t{tid}\t{subj}\n")

            moment = created
            for _ in range(cpt):
                comment_id += 1
                moment += rng.randrange(60, 3 * 86400)
                roll = rng.random()
                if roll < 0.4:
                    author = reporter
                elif roll < 0.8 and assignee is not None:
                    author = assignee
                else:
                    author = rng.randint(1, nusers)
                moment_ts = ts(moment)
                c_rows.append(f"{comment_id}\t{tid}\t{author}\t{rng.choice(REPLIES_COPY)}\t{moment_ts}\n")
                a_rows.append(f"{moment_ts}\t{author}\tcomment\tticket\t{tid}\t{subj}\n")

            # Comments do not touch tickets.updated_at (the PHP app does not
            # either); only an edit does.
            updated_ts = created_ts
            if status != "open":
                # A status change is an edit: it moves updated_at and leaves an audit row.
                updated_ts = ts(moment + rng.randrange(60, 86400))
                editor = assignee if assignee is not None else 1
                a_rows.append(f"{updated_ts}\t{editor}\tupdate\tticket\t{tid}\t{subj}\n")

            assignee_col = NULL if assignee is None else assignee
            t_rows.append(f"{tid}\t{subj}\t{body}\t{status}\t{priority}\t{reporter}\t"
                          f"{assignee_col}\t{created_ts}\t{updated_ts}\n")
            if max_tags:
                for tag in rng.sample(tag_range, rng.randint(0, max_tags)):
                    tt_rows.append(f"{tid}\t{tag}\n")

        write("COPY tickets (id, subject, body, status, priority, reporter_id, assignee_id, "
              "created_at, updated_at) FROM stdin;\n")
        write("".join(t_rows))
        write("\\.\n")
        for header, rows in (
                ("COPY ticket_tags (ticket_id, tag_id) FROM stdin;\n", tt_rows),
                ("COPY comments (id, ticket_id, author_id, body, created_at) FROM stdin;\n", c_rows),
                ("COPY audit_log (happened_at, user_id, action, entity, entity_id, details) "
                 "FROM stdin;\n", a_rows)):
            if rows:
                write(header)
                write("".join(rows))
                write("\\.\n")

    # setval(seq, 0) is out of range for a serial, so an empty table gets
    # (1, is_called=false): the next id handed out is 1.
    write(EPILOGUE.format(
        users=nusers,
        tags=max(ntags, 1), tags_called="true" if ntags else "false",
        tickets=max(ntickets, 1), tickets_called="true" if ntickets else "false",
        comments=max(comment_id, 1), comments_called="true" if comment_id else "false",
    ))



def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = sys.stdout
    try:
        generate(args, out)
        out.flush()
    except BrokenPipeError:
        # psql stopped reading (ON_ERROR_STOP): its own message is the useful one.
        sys.stderr.write("seed.py: output pipe closed early; the load was aborted\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
