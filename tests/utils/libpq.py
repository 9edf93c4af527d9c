"""libpq's reading of a password file (~/.pgpass, PGPASSFILE), as passwordFromFile and
pwdfMatchesString in src/interfaces/libpq/fe-connect.c do it: a line starting with '#' is a
comment, trailing CR/LF are stripped, the fields host:port:database:user:password are
separated by ':' not preceded by a backslash, a backslash makes the next character literal, a
field of '*' alone matches anything, and the first matching line wins. The password is the rest
of the line up to the next unescaped ':' (de-escaped)."""


def _matches(line, token):
    """The rest of line after its first field when that field matches token, else None."""
    if line.startswith("*:"):
        return line[2:]
    i, j = 0, 0
    while i < len(line):
        escaped = False
        if line[i] == "\\":
            i += 1
            escaped = True
            if i == len(line):
                return None
        if line[i] == ":" and j == len(token) and not escaped:
            return line[i + 1:]
        if j == len(token) or line[i] != token[j]:
            return None
        i += 1
        j += 1
    return None


def pgpass_lookup(text, host, port, database, user):
    """The password libpq takes from a password file's text for host, port, database and user,
    or None when no line matches."""
    for line in text.split("\n"):
        if line.startswith("#"):
            continue
        line = line.rstrip("\r\n")
        rest = line
        for token in (host, str(port), database, user):
            rest = _matches(rest, token) if rest else None
            if rest is None:
                break
        if rest is None:
            continue
        password, i = [], 0
        while i < len(rest) and rest[i] != ":":
            if rest[i] == "\\" and i + 1 < len(rest):
                i += 1
            password.append(rest[i])
            i += 1
        return "".join(password)
    return None
