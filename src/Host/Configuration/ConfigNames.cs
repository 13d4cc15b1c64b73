using System.Globalization;
using System.Reflection;
using System.Runtime.Serialization;
using System.Text;
using System.Text.Json;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Configuration;

/// <summary>
/// The naming and parsing rules shared by the binder and the documentation, so that what `seminas plugins`
/// prints is exactly what the binder accepts.
/// </summary>
internal static class ConfigNames
{
    /// <summary>The YAML key of a property.</summary>
    public static string KeyOf(PropertyInfo property) => JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    public static string Join(string parent, string key) => parent.Length == 0 ? key : $"{parent}.{key}";

    /// <summary>The properties a YAML mapping can set, in declaration order.</summary>
    public static IEnumerable<PropertyInfo> BindableProperties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0);

    /// <summary>
    /// How an enum value is written in YAML and shown to users: <c>Cifar10Valid</c> → <c>cifar10-valid</c>,
    /// <c>ImageNet16_120</c> → <c>imagenet16-120</c>. A word break is only assumed after a digit or at '_' because
    /// names like ImageNet are one word to their users; [EnumMember(Value = ...)] overrides the rule.
    /// </summary>
    public static string EnumValueName(Type enumType, string memberName)
    {
        var field = enumType.GetField(memberName, BindingFlags.Public | BindingFlags.Static);
        if (field?.GetCustomAttribute<EnumMemberAttribute>()?.Value is { Length: > 0 } explicitName)
        {
            return explicitName;
        }

        var text = new StringBuilder();
        for (var i = 0; i < memberName.Length; i++)
        {
            var c = memberName[i];
            if (c == '_')
            {
                text.Append('-');
            }
            else
            {
                if (char.IsUpper(c) && i > 0 && char.IsDigit(memberName[i - 1]))
                {
                    text.Append('-');
                }

                text.Append(char.ToLowerInvariant(c));
            }
        }

        return text.ToString();
    }

    public static IEnumerable<string> EnumValueNames(Type enumType) =>
        Enum.GetNames(enumType).Select(name => EnumValueName(enumType, name));

    /// <summary>Compares enum spellings ignoring case, '-' and '_', so `cifar10-valid`, `Cifar10Valid` and `CIFAR10_VALID` agree.</summary>
    public static string NormalizeEnumText(string text) =>
        new(text.Where(c => c != '-' && c != '_').Select(char.ToLowerInvariant).ToArray());

    public static bool TryParseEnum(Type enumType, string text, out object? value)
    {
        var wanted = NormalizeEnumText(text);
        foreach (var name in Enum.GetNames(enumType))
        {
            if (NormalizeEnumText(name) == wanted || NormalizeEnumText(EnumValueName(enumType, name)) == wanted)
            {
                value = Enum.Parse(enumType, name);
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <summary>YAML's null: an empty plain value (`key:`), `~` or `null`. A quoted '' is an empty string instead.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any } scalar
        && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    /// <summary>How a node is quoted in "got ..." messages.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        _ when IsNull(node) => "nothing",
        YamlScalarNode scalar => $"'{Shorten(scalar.Value ?? "")}'",
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ => "an alias",
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..37] + "...";

    /// <summary>Numbers as YAML writes them, plus digit separators (`1_000`) that people use for large budgets.</summary>
    public static bool TryParseDouble(string text, out double value)
    {
        var clean = text.Trim().Replace("_", "");
        switch (clean)
        {
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                value = double.PositiveInfinity;
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                value = double.NegativeInfinity;
                return true;
            case ".nan" or ".NaN" or ".NAN":
                value = double.NaN;
                return true;
        }

        // NumberStyles.Float rather than Any: a thousands separator ',' must not silently turn 1,5 into 15.
        return double.TryParse(clean, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
               && clean.Any(char.IsDigit);
    }

    public enum IntegerParse
    {
        Ok,
        NotANumber,
        NotWhole,
        OutOfRange,
    }

    /// <summary>Integers, also written as `0x1F` or in exponent form (`1e6` is a common way to write a budget).</summary>
    public static IntegerParse TryParseInteger(string text, long min, long max, out long value)
    {
        var clean = text.Trim().Replace("_", "");
        value = 0;
        if (long.TryParse(clean, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var whole))
        {
            value = whole;
            return whole >= min && whole <= max ? IntegerParse.Ok : IntegerParse.OutOfRange;
        }

        if (clean.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            && long.TryParse(clean[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            value = hex;
            return hex >= min && hex <= max ? IntegerParse.Ok : IntegerParse.OutOfRange;
        }

        if (!TryParseDouble(clean, out var real) || double.IsNaN(real))
        {
            return IntegerParse.NotANumber;
        }

        if (Math.Floor(real) != real)
        {
            return double.IsInfinity(real) ? IntegerParse.OutOfRange : IntegerParse.NotWhole;
        }

        if (real < min || real > max)
        {
            return IntegerParse.OutOfRange;
        }

        value = (long)real;
        return IntegerParse.Ok;
    }

    /// <summary>Closest candidate within a small edit distance, for "did you mean" hints.</summary>
    public static string? Suggest(string wrong, IEnumerable<string> candidates)
    {
        var limit = Math.Clamp(wrong.Length / 3, 1, 3);
        return candidates
            .Select(c => (Name: c, Distance: EditDistance(wrong.ToLowerInvariant(), c.ToLowerInvariant())))
            .Where(c => c.Distance <= limit)
            .OrderBy(c => c.Distance)
            .Select(c => c.Name)
            .FirstOrDefault();
    }

    /// <summary>Optimal string alignment distance: Levenshtein plus swaps of neighbours, the most common typo (serach).</summary>
    public static int EditDistance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
