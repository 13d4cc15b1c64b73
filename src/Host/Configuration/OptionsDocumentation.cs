using System.Collections;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Configuration;

/// <summary>One key of an options class, as users see it.</summary>
/// <param name="KeyPath">camelCase path, e.g. <c>execution.workers</c>; map entries appear as <c>&lt;name&gt;</c> and list items as <c>[]</c>.</param>
/// <param name="Type">Readable type: <c>int</c>, <c>number</c>, <c>string</c>, <c>bool</c>, <c>one of a|b</c>, <c>list of string</c>, <c>map of mapping</c>, <c>mapping</c>.</param>
/// <param name="Default">The default as YAML text, or null when there is none (absent means unset).</param>
/// <param name="Description">From [Description].</param>
/// <param name="Range">From [Range] (e.g. <c>1 to 1024</c>, <c>at least 0.001</c>) or [AllowedValues] (<c>one of 12|200</c>).</param>
/// <param name="Required">From [Required]: the key must be written.</param>
public sealed record OptionDoc(string KeyPath, string Type, string? Default, string? Description, string? Range, bool Required);

/// <summary>Describes the keys an options class accepts, with the naming rules of <see cref="YamlBinder"/>.</summary>
public static class OptionsDocumentation
{
    public static IReadOnlyList<OptionDoc> Describe(Type type)
    {
        var entries = new List<OptionDoc>();
        DescribeObject(type, Activator.CreateInstance(type)!, "", entries);
        return entries;
    }

    private static void DescribeObject(Type type, object instance, string prefix, List<OptionDoc> entries)
    {
        foreach (var property in ConfigNames.BindableProperties(type))
        {
            var path = ConfigNames.Join(prefix, ConfigNames.KeyOf(property));
            var value = property.GetValue(instance);
            var required = property.GetCustomAttribute<RequiredAttribute>() is not null;
            entries.Add(new OptionDoc(
                path,
                TypeName(property.PropertyType),
                // A required key has to be written, so the placeholder value of a fresh instance is no default.
                required ? null : FormatDefault(value),
                property.GetCustomAttribute<DescriptionAttribute>()?.Description,
                RangeText(property),
                required));

            DescribeChildren(property.PropertyType, value, path, entries);
        }
    }

    /// <summary>Keys inside nested sections, and inside the items of maps and lists of sections.</summary>
    private static void DescribeChildren(Type type, object? value, string path, List<OptionDoc> entries)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (YamlBinder.IsObjectType(type))
        {
            DescribeObject(type, value ?? Activator.CreateInstance(type)!, path, entries);
        }
        else if (YamlBinder.DictionaryValueType(type) is { } valueType && YamlBinder.IsObjectType(valueType))
        {
            DescribeObject(valueType, Activator.CreateInstance(valueType)!, $"{path}.<name>", entries);
        }
        else if (YamlBinder.ListElementType(type) is { } elementType && YamlBinder.IsObjectType(elementType))
        {
            DescribeObject(elementType, Activator.CreateInstance(elementType)!, $"{path}[]", entries);
        }
    }

    public static string TypeName(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            _ when type == typeof(string) => "string",
            _ when type == typeof(bool) => "bool",
            _ when type == typeof(int) || type == typeof(long) => "int",
            _ when type == typeof(double) || type == typeof(float) => "number",
            _ when type.IsEnum => $"one of {string.Join("|", ConfigNames.EnumValueNames(type))}",
            _ when YamlBinder.ListElementType(type) is { } element => $"list of {TypeName(element)}",
            _ when YamlBinder.DictionaryValueType(type) is { } value => $"map of {TypeName(value)}",
            _ when type == typeof(YamlSequenceNode) => "list",
            _ when type == typeof(YamlScalarNode) => "value",
            _ => "mapping",
        };
    }

    private static string? FormatDefault(object? value) => value switch
    {
        null => null,
        string text => text.Length == 0 ? "\"\"" : text,
        bool flag => flag ? "true" : "false",
        Enum member => ConfigNames.EnumValueName(member.GetType(), member.ToString()),
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        IDictionary dictionary => dictionary.Count == 0 ? "{}" : null,
        IList list => list.Count == 0 ? "[]" : $"[{string.Join(", ", list.Cast<object?>().Select(FormatItem))}]",
        _ => null, // a section: its keys carry their own defaults
    };

    // A list item that is an object reads as a YAML flow mapping of its keys, e.g. {width: 24, layers: 4}.
    private static string? FormatItem(object? item) =>
        item is not null && YamlBinder.IsObjectType(item.GetType())
            ? "{" + string.Join(", ", ConfigNames.BindableProperties(item.GetType())
                .Select(p => (Key: ConfigNames.KeyOf(p), Value: FormatDefault(p.GetValue(item))))
                .Where(p => p.Value is not null).Select(p => $"{p.Key}: {p.Value}")) + "}"
            : FormatDefault(item);

    private static string? RangeText(PropertyInfo property)
    {
        if (property.GetCustomAttribute<RangeAttribute>() is { } range)
        {
            return FormatRange(range);
        }

        return property.GetCustomAttribute<AllowedValuesAttribute>() is { } allowed
            ? "one of " + string.Join("|", allowed.Values.Select(v => FormatDefault(v) ?? "null"))
            : null;
    }

    private static string FormatRange(RangeAttribute range)
    {
        var min = Convert.ToDouble(range.Minimum, CultureInfo.InvariantCulture);
        var max = Convert.ToDouble(range.Maximum, CultureInfo.InvariantCulture);
        var minText = Convert.ToString(range.Minimum, CultureInfo.InvariantCulture);
        var maxText = Convert.ToString(range.Maximum, CultureInfo.InvariantCulture);
        var noMax = max is double.MaxValue or int.MaxValue or long.MaxValue || double.IsPositiveInfinity(max);
        var noMin = min is double.MinValue or int.MinValue or long.MinValue || double.IsNegativeInfinity(min);
        return (noMin, noMax) switch
        {
            (true, true) => "any",
            (false, true) => $"at least {minText}",
            (true, false) => $"at most {maxText}",
            _ when min == max => $"exactly {minText}",
            _ => $"{minText} to {maxText}",
        };
    }
}
