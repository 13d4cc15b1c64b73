using System.Globalization;
using Npgsql;

namespace SemiNas.Storage.Postgres;

/// <summary>
/// A <c>postgresql://</c> (or <c>postgres://</c>) storage URL, read as libpq reads it:
/// <c>postgresql://[USER[:PASSWORD]@][HOST][:PORT][/DATABASE][?PARAM=VALUE&amp;...]</c>. What the URL leaves out comes
/// from PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD and the pgpass file (PGPASSFILE, or ~/.pgpass), as for psql.
/// The password never leaves this class except inside the connection string: <see cref="Display"/> is the URL without it.
/// </summary>
internal sealed class PostgresLocation
{
    /// <summary>The query parameters libpq users write most, and ours: <c>artifacts</c>, the local artefact folder.</summary>
    private static readonly string[] Known = ["sslmode", "passfile", "connect_timeout", "application_name", "host", "port", "user", "dbname", "password", "artifacts"];

    private PostgresLocation(string display, NpgsqlConnectionStringBuilder connection, string artifactDirectory, IReadOnlyList<string> secrets)
    {
        Display = display;
        Connection = connection;
        ArtifactDirectory = artifactDirectory;
        _secrets = secrets;
    }

    private readonly IReadOnlyList<string> _secrets;

    /// <summary>The URL as the user wrote it, less its password: for messages and <see cref="IExperimentStore.Location"/>.</summary>
    public string Display { get; }

    public NpgsqlConnectionStringBuilder Connection { get; }

    public string ArtifactDirectory { get; }

    public static bool Matches(string location) =>
        location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase) ||
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);

    public static PostgresLocation Parse(string url)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var scheme = url[..(url.IndexOf("://", StringComparison.Ordinal) + 3)];
        var query = "";
        if (rest.IndexOf('?') is var q and >= 0) (rest, query) = (rest[..q], rest[(q + 1)..]);
        var path = "";
        if (rest.IndexOf('/') is var slash and >= 0) (rest, path) = (rest[..slash], rest[(slash + 1)..]);
        string? user = null, password = null;
        var displayUser = "";
        if (rest.LastIndexOf('@') is var at and >= 0)
        {
            var userInfo = rest[..at];
            rest = rest[(at + 1)..];
            var colon = userInfo.IndexOf(':');
            user = Decode(colon >= 0 ? userInfo[..colon] : userInfo);
            if (colon >= 0) password = Decode(userInfo[(colon + 1)..]);
            displayUser = (colon >= 0 ? userInfo[..colon] : userInfo) + "@";
        }
        var (host, port) = SplitHostPort(url, rest);

        var parameters = new List<(string Name, string Value)>();
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            var name = Decode(equals >= 0 ? pair[..equals] : pair);
            if (!Known.Contains(name, StringComparer.Ordinal))
                throw new StoreException($"{Shown(url)}: unknown parameter '{name}'; this seminas reads {string.Join(", ", Known)}.");
            parameters.Add((name, equals >= 0 ? Decode(pair[(equals + 1)..]) : ""));
        }
        string? Parameter(string name) => parameters.LastOrDefault(p => p.Name == name).Value;

        var database = Parameter("dbname") ?? (path.Length > 0 ? Decode(path) : null) ?? Environment.GetEnvironmentVariable("PGDATABASE");
        user = Parameter("user") ?? user;
        password = Parameter("password") ?? password;
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = Parameter("host") ?? host ?? Environment.GetEnvironmentVariable("PGHOST") ?? "localhost",
            Port = ParsePort(url, Parameter("port") ?? port ?? Environment.GetEnvironmentVariable("PGPORT")),
            // Search Path: every table lives in the seminas schema, so that a database shared with other programs keeps
            // its own "experiments" or "trials" tables apart from ours.
            SearchPath = PostgresExperimentStore.Schema,
            ApplicationName = Parameter("application_name") ?? "seminas",
        };
        // Left unset, Npgsql takes them from PGUSER, PGPASSWORD and PGPASSFILE (or ~/.pgpass), as libpq does.
        if (user is not null) builder.Username = user;
        if (database is not null) builder.Database = database;
        if (password is not null) builder.Password = password;
        if (Parameter("passfile") is { } passfile) builder.Passfile = passfile;
        if (Parameter("sslmode") is { } sslMode)
            builder.SslMode = Enum.TryParse<SslMode>(sslMode.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var mode)
                ? mode : throw new StoreException($"{Shown(url)}: sslmode '{sslMode}' is not one of disable, allow, prefer, require, verify-ca, verify-full.");
        if (Parameter("connect_timeout") is { } timeout)
            builder.Timeout = int.TryParse(timeout, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                ? seconds : throw new StoreException($"{Shown(url)}: connect_timeout '{timeout}' is not a whole number of seconds.");

        var folder = database ?? user ?? Environment.GetEnvironmentVariable("PGUSER") ?? Environment.UserName;
        // No file sits beside a database: trial folders go to a local folder named after it, unless the URL says where.
        var artifacts = Path.GetFullPath(Parameter("artifacts") ?? Path.Combine("experiments", folder));

        var display = scheme + displayUser + rest + (path.Length > 0 ? "/" + path : "") +
            Query(query.Split('&', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("password=", StringComparison.Ordinal)));
        var secrets = new[] { password, Environment.GetEnvironmentVariable("PGPASSWORD") }
            .Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).ToList();
        return new PostgresLocation(display, builder, artifacts, secrets);
    }

    /// <summary><paramref name="message"/> with any password this location knows replaced, for errors from below.</summary>
    public string Scrub(string message) =>
        _secrets.Aggregate(message, (text, secret) => text.Replace(secret, "***", StringComparison.Ordinal));

    private static string Query(IEnumerable<string> pairs) => pairs.ToList() is { Count: > 0 } list ? "?" + string.Join('&', list) : "";

    private static (string? Host, string? Port) SplitHostPort(string url, string text)
    {
        if (text.Length == 0) return (null, null);
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0) throw new StoreException($"{Shown(url)}: an IPv6 host needs its closing ']'.");
            return (text[1..close], close + 1 < text.Length && text[close + 1] == ':' ? text[(close + 2)..] : null);
        }
        var colon = text.LastIndexOf(':');
        // A percent-encoded path is a Unix-socket folder: postgresql://%2Fvar%2Frun%2Fpostgresql/db.
        return colon >= 0 ? (Decode(text[..colon]), text[(colon + 1)..]) : (Decode(text), null);
    }

    private static int ParsePort(string url, string? text) =>
        text is null ? 5432
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536 ? port
        : throw new StoreException($"{Shown(url)}: '{text}' is not a port number.");

    private static string Decode(string text) => Uri.UnescapeDataString(text);

    /// <summary>The URL as given, with the password of its user part masked: for errors found while parsing it.</summary>
    private static string Shown(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = url.IndexOfAny(['/', '?'], start) is var e and >= 0 ? e : url.Length;
        var at = url.LastIndexOf('@', end - 1, end - start);
        var colon = at < 0 ? -1 : url.IndexOf(':', start, at - start);
        var withoutPassword = colon < 0 ? url : url[..colon] + url[at..];
        var password = withoutPassword.IndexOf("password=", StringComparison.Ordinal);
        return password < 0 ? withoutPassword : withoutPassword[..password] + "password=***";
    }
}
