using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json.Nodes;

namespace SemiNas.Dashboard;

/// <summary>
/// The one page both commands show: wwwroot/index.html with its style, Chart.js and app.js inlined. The report also
/// inlines the data; the dashboard's page fetches it from api/data instead, again and again.
/// </summary>
public static class Page
{
    public static string Report(JsonObject data) => Build($"window.SEMINAS = {{ data: {ScriptJson(DashboardData.Serialize(data))} }};");

    public static string Live(TimeSpan pollInterval) =>
        Build($"window.SEMINAS = {{ live: {{ url: 'api/data', intervalMs: {((int)pollInterval.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)} }} }};");

    private static string Build(string boot)
    {
        var html = Resource("index.html");
        // Replacements in one pass each, in this order, so that nothing inlined is searched for the next marker.
        return Replace(Replace(Replace(Replace(html,
            "/*STYLE*/", Resource("app.css")),
            "/*CHARTJS*/", Script(Resource("vendor/chart.js/chart.umd.min.js"))),
            "/*BOOT*/", Script(boot)),
            "/*APP*/", Script(Resource("app.js")));
    }

    private static string Replace(string text, string marker, string value)
    {
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        if (at < 0) throw new InvalidOperationException($"index.html lacks the marker {marker}.");
        return string.Concat(text.AsSpan(0, at), value, text.AsSpan(at + marker.Length));
    }

    /// <summary>Inlined scripts must not close their own script element early.</summary>
    private static string Script(string code) => code.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);

    /// <summary>JSON as a JavaScript literal inside a script element ("&lt;/" cannot end it; U+2028/9 are fine in JSON).</summary>
    private static string ScriptJson(string json) => json.Replace("</", "<\\/", StringComparison.Ordinal);

    private static string Resource(string name)
    {
        using var stream = typeof(Page).Assembly.GetManifestResourceStream("wwwroot/" + name)
            ?? throw new InvalidOperationException($"The dashboard assembly lacks its resource wwwroot/{name}.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
