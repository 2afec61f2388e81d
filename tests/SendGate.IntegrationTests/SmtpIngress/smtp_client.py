"""One SMTP session with Python's smtplib, step by step, for the SMTP ingress tests.

Usage: smtp_client.py PORT MESSAGE_FILE [--starttls CAFILE] [--auth USER PASSWORD] [--size N]
                      --from ADDRESS --to ADDRESS [--to ADDRESS ...]
Prints one JSON object per step ({"step": ..., "code": ..., "text": ...}) and stops at the first
refusal; a dropped connection is {"step": ..., "code": 0, "text": "disconnected"}.
"""
import argparse
import json
import smtplib
import ssl
import sys


def say(step, code, text):
    if isinstance(text, bytes):
        text = text.decode("ascii", "replace")
    print(json.dumps({"step": step, "code": code, "text": text}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("message")
    p.add_argument("--starttls")
    p.add_argument("--auth", nargs=2)
    p.add_argument("--size", type=int)
    p.add_argument("--from", dest="sender", required=True)
    p.add_argument("--to", action="append", required=True)
    a = p.parse_args()
    data = open(a.message, "rb").read()
    step = "connect"
    try:
        s = smtplib.SMTP("127.0.0.1", a.port, timeout=30)
        step = "ehlo"
        code, text = s.ehlo("client.test")
        say(step, code, text)
        if a.starttls:
            step = "starttls"
            ctx = ssl.create_default_context(cafile=a.starttls)
            code, text = s.starttls(context=ctx)
            say(step, code, text)
            s.ehlo("client.test")
        if a.auth:
            step = "auth"
            try:
                code, text = s.login(a.auth[0], a.auth[1])
            except smtplib.SMTPAuthenticationError as e:
                code, text = e.smtp_code, e.smtp_error
            except smtplib.SMTPNotSupportedError as e:
                code, text = 502, str(e)
            say(step, code, text)
            if code != 235:
                return
        step = "mail"
        options = [f"SIZE={a.size}"] if a.size else []
        code, text = s.mail(a.sender, options)
        say(step, code, text)
        if code != 250:
            return
        for to in a.to:
            step = "rcpt"
            code, text = s.rcpt(to)
            say(step, code, text)
            if code != 250:
                return
        step = "data"
        code, text = s.data(data)
        say(step, code, text)
        step = "quit"
        s.quit()
    except (smtplib.SMTPServerDisconnected, ConnectionError, OSError) as e:
        say(step, 0, "disconnected")
    except smtplib.SMTPDataError as e:
        say(step, e.smtp_code, e.smtp_error)
    except smtplib.SMTPResponseException as e:
        say(step, e.smtp_code, e.smtp_error)


if __name__ == "__main__":
    main()
