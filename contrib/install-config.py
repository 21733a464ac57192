#!/usr/bin/env python3
"""The installed tcptally.yaml.

  install-config.py generate SRC DST DB CONFPATH
      DST is SRC (config/tcptally.yaml) with `database:` set to DB and the
      system config's path set to CONFPATH.
  install-config.py install SRC CONFDIR
      meson install script: copy SRC to $DESTDIR/CONFDIR/tcptally.yaml, unless
      an edited config is there: then it stays, and SRC goes to tcptally.yaml.new.
"""
import os
import re
import shutil
import sys


def generate(src, dst, db, confpath):
    with open(src) as f:
        text = f.read()
    text, n = re.subn(r"(?m)^database: *tcptally[.]db *",
                      lambda m: ("database: " + db).ljust(len(m.group(0)) - 1) + " ", text)
    if n != 1:
        sys.exit(src + ": no line 'database: tcptally.db' to point at " + db)
    text = text.replace("/etc/tcptally/tcptally.yaml", confpath)
    with open(dst, "w") as f:
        f.write(text)


def install(src, confdir):
    destdir = os.environ.get("DESTDIR", "")
    d = os.path.join(destdir, confdir.lstrip("/")) if destdir else confdir
    path = os.path.join(d, "tcptally.yaml")
    if os.environ.get("MESON_INSTALL_DRY_RUN"):
        return
    os.makedirs(d, mode=0o755, exist_ok=True)
    if os.path.exists(path):
        with open(path, "rb") as a, open(src, "rb") as b:
            same = a.read() == b.read()
        if not same:
            print("Keeping " + path + " as it is; the new example is " + path + ".new")
            path += ".new"
    if not os.environ.get("MESON_INSTALL_QUIET"):
        print("Installing " + src + " to " + path)
    shutil.copyfile(src, path)
    os.chmod(path, 0o644)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "generate":
        generate(*sys.argv[2:])
    elif len(sys.argv) == 4 and sys.argv[1] == "install":
        install(*sys.argv[2:])
    else:
        sys.exit(__doc__)
