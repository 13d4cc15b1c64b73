using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Configuration;

/// <summary>
/// Binds YAML nodes onto plain option classes and validates them, reporting every problem with its place in the file.
/// Used for the experiment file and, later, for the options of plugins and strategies, which the experiment keeps
/// as raw nodes until the plugin that owns them is loaded.
/// </summary>
/// <remarks>
/// Supported: string, int, long, float, double, bool, enums, their nullable forms, List&lt;T&gt;,
/// Dictionary&lt;string, T&gt;, classes with a public parameterless constructor and public settable properties,
/// and YamlNode / YamlMappingNode / YamlSequenceNode / YamlScalarNode kept as they are.
/// Keys are the camelCase property names; unknown keys are errors. A key that is absent keeps the default of a
/// fresh instance; a key named <c>preset</c> is bound before the others whatever its place. [Required] means "the key must be present"; the other DataAnnotations attributes and
/// IValidatableObject run on the bound values.
/// </remarks>
public static class YamlBinder
{
    /// <summary>
    /// Binds <paramref name="node"/> onto a new instance of <paramref name="type"/> and validates it.
    /// A null node (the section is absent) means "all defaults", which are validated too.
    /// </summary>
    /// <param name="file">The file named in error messages.</param>
    /// <param name="keyPath">Where the node is in that file, e.g. <c>task.options</c>; prefixes every error's key path.</param>
    /// <exception cref="ConfigException">With every problem found.</exception>
    public static object Bind(Type type, YamlNode? node, string file, string keyPath)
    {
        var errors = new List<ConfigError>();
        var result = Bind(type, node, file, keyPath, errors);
        if (errors.Count > 0)
        {
            throw ConfigException.FromUnsorted(errors);
        }

        return result;
    }

    public static T Bind<T>(YamlNode? node, string file, string keyPath) where T : class, new() =>
        (T)Bind(typeof(T), node, file, keyPath);

    /// <summary>Binds and adds problems to <paramref name="errors"/> instead of throwing, so callers can merge them with their own.</summary>
    internal static object Bind(Type type, YamlNode? node, string file, string keyPath, List<ConfigError> errors)
    {
        if (!IsObjectType(type))
        {
            throw new ArgumentException($"Options type {type} must be a class with a public parameterless constructor.", nameof(type));
        }

        var binder = new Binder(file, errors);
        return node switch
        {
            null => binder.BindObject(type, null, keyPath, null),
            YamlMappingNode mapping => binder.BindObject(type, mapping, keyPath, mapping),
            _ when ConfigNames.IsNull(node) => binder.BindObject(type, null, keyPath, node),
            _ => binder.Fail(node, keyPath, $"expected a mapping of options, got {ConfigNames.Describe(node)}", Activator.CreateInstance(type)!),
        };
    }

    internal static bool IsObjectType(Type type) =>
        type.IsClass && type != typeof(string) && !typeof(IEnumerable).IsAssignableFrom(type)
        && !typeof(YamlNode).IsAssignableFrom(type) && type.GetConstructor(Type.EmptyTypes) is not null;

    internal static Type? ListElementType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) ? type.GetGenericArguments()[0] : null;

    internal static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>)
                           && type.GetGenericArguments()[0] == typeof(string)
            ? type.GetGenericArguments()[1]
            : null;

    private const string PresetKey = "preset";

    private sealed class Binder(string file, List<ConfigError> errors)
    {
        // Not thread-safe, hence one per bind.
        private readonly NullabilityInfoContext nullability = new();

        public object Fail(YamlNode? node, string keyPath, string message, object result)
        {
            errors.Add(ConfigError.At(file, node, keyPath, message));
            return result;
        }

        private bool Report(YamlNode? node, string keyPath, string message)
        {
            errors.Add(ConfigError.At(file, node, keyPath, message));
            return false;
        }

        /// <summary>
        /// A new <paramref name="type"/> with the keys of <paramref name="mapping"/> set and validated.
        /// <paramref name="location"/> is where problems of the object as a whole (missing keys) are reported.
        /// </summary>
        public object BindObject(Type type, YamlMappingNode? mapping, string path, YamlNode? location)
        {
            var instance = Activator.CreateInstance(type)!;
            var properties = ConfigNames.BindableProperties(type).ToList();
            var byKey = properties.ToDictionary(ConfigNames.KeyOf, StringComparer.Ordinal);
            var valueNodes = new Dictionary<PropertyInfo, YamlNode>();
            var failed = new HashSet<PropertyInfo>();
            var errorsBefore = errors.Count;

            // A "preset" key sets several options at once, so it goes first and the file's other keys override it.
            var children = (mapping?.Children ?? Enumerable.Empty<KeyValuePair<YamlNode, YamlNode>>())
                .OrderBy(c => c.Key is YamlScalarNode { Value: PresetKey } ? 0 : 1);
            foreach (var (keyNode, valueNode) in children)
            {
                if (keyNode is not YamlScalarNode { Value: { } key })
                {
                    Report(keyNode, path, $"keys must be plain names, got {ConfigNames.Describe(keyNode)}");
                    continue;
                }

                var keyPath = ConfigNames.Join(path, key);
                if (!byKey.TryGetValue(key, out var property))
                {
                    Report(keyNode, keyPath, UnknownKeyMessage(key, byKey.Keys));
                    continue;
                }

                valueNodes[property] = valueNode;
                if (TryBind(property.PropertyType, nullability.Create(property), valueNode, keyPath, out var value))
                {
                    if (value is not null || AllowsNull(property.PropertyType, nullability.Create(property)))
                    {
                        property.SetValue(instance, value);
                    }
                }
                else
                {
                    failed.Add(property);
                }
            }

            foreach (var property in properties)
            {
                if (!valueNodes.ContainsKey(property) && property.GetCustomAttribute<RequiredAttribute>() is not null)
                {
                    Report(location, ConfigNames.Join(path, ConfigNames.KeyOf(property)), "required key is missing");
                    failed.Add(property);
                }
            }

            Validate(instance, properties, valueNodes, failed, path, location, errorsBefore);
            return instance;
        }

        private void Validate(
            object instance,
            List<PropertyInfo> properties,
            Dictionary<PropertyInfo, YamlNode> valueNodes,
            HashSet<PropertyInfo> failed,
            string path,
            YamlNode? location,
            int errorsBefore)
        {
            // A value that failed to bind still holds its default, so checking it would only add a confusing second error.
            foreach (var property in properties.Where(p => !failed.Contains(p)))
            {
                var key = ConfigNames.KeyOf(property);
                var context = new ValidationContext(instance) { MemberName = property.Name, DisplayName = key };
                var results = new List<ValidationResult>();
                if (!Validator.TryValidateProperty(property.GetValue(instance), context, results))
                {
                    var node = valueNodes.GetValueOrDefault(property) ?? location;
                    foreach (var result in results)
                    {
                        Report(node, ConfigNames.Join(path, key), result.ErrorMessage ?? "invalid value");
                    }
                }
            }

            // Rules across properties (IValidatableObject, class attributes) may assume each property is valid,
            // which is also what Validator itself does.
            if (errors.Count > errorsBefore)
            {
                return;
            }

            var objectResults = new List<ValidationResult>();
            if (Validator.TryValidateObject(instance, new ValidationContext(instance), objectResults, validateAllProperties: false))
            {
                return;
            }

            foreach (var result in objectResults)
            {
                var property = result.MemberNames
                    .Select(name => properties.FirstOrDefault(p => p.Name == name))
                    .FirstOrDefault(p => p is not null);
                if (property is null)
                {
                    Report(location, path, result.ErrorMessage ?? "invalid options");
                }
                else
                {
                    Report(valueNodes.GetValueOrDefault(property) ?? location, ConfigNames.Join(path, ConfigNames.KeyOf(property)),
                        result.ErrorMessage ?? "invalid value");
                }
            }
        }

        private static string UnknownKeyMessage(string key, IEnumerable<string> validKeys)
        {
            var keys = validKeys.ToList();
            if (ConfigNames.Suggest(key, keys) is { } suggestion)
            {
                return $"unknown key; did you mean '{suggestion}'?";
            }

            return keys.Count == 0
                ? "unknown key; this section takes no keys"
                : $"unknown key; valid keys here: {string.Join(", ", keys)}";
        }

        private static bool AllowsNull(Type type, NullabilityInfo? info) =>
            Nullable.GetUnderlyingType(type) is not null
            || (!type.IsValueType && info is { WriteState: NullabilityState.Nullable or NullabilityState.Unknown });

        /// <summary>
        /// Converts one node. Returns false after reporting when it cannot; a null value on success means YAML null
        /// for a type that allows it.
        /// </summary>
        private bool TryBind(Type type, NullabilityInfo? info, YamlNode node, string path, out object? value)
        {
            value = null;
            var errorsBefore = errors.Count;

            if (typeof(YamlNode).IsAssignableFrom(type))
            {
                // Kept raw, marks included, for whoever owns the section to bind later.
                if (ConfigNames.IsNull(node) && type != typeof(YamlScalarNode))
                {
                    return true;
                }

                value = node;
                return type.IsInstanceOfType(node)
                       || Report(node, path, $"expected {Noun(type)}, got {ConfigNames.Describe(node)}");
            }

            var underlying = Nullable.GetUnderlyingType(type);
            if (underlying is not null)
            {
                return ConfigNames.IsNull(node) || TryBind(underlying, null, node, path, out value);
            }

            if (ConfigNames.IsNull(node))
            {
                if (ListElementType(type) is not null || DictionaryValueType(type) is not null)
                {
                    value = Activator.CreateInstance(type);
                    return true;
                }

                if (IsObjectType(type))
                {
                    // `execution:` with nothing after it: the section with all its defaults.
                    value = BindObject(type, null, path, node);
                    return errors.Count == errorsBefore;
                }

                return AllowsNull(type, info) || Report(node, path, $"expected {Noun(type)}, got nothing");
            }

            if (ListElementType(type) is { } elementType)
            {
                if (node is not YamlSequenceNode sequence)
                {
                    return Report(node, path, $"expected a list, got {ConfigNames.Describe(node)}");
                }

                var list = (IList)Activator.CreateInstance(type)!;
                var elementInfo = info?.GenericTypeArguments.FirstOrDefault();
                var index = 0;
                foreach (var item in sequence)
                {
                    if (TryBind(elementType, elementInfo, item, $"{path}[{index}]", out var element))
                    {
                        list.Add(element);
                    }

                    index++;
                }

                value = list;
                return errors.Count == errorsBefore;
            }

            if (DictionaryValueType(type) is { } valueType)
            {
                if (node is not YamlMappingNode mapping)
                {
                    return Report(node, path, $"expected a mapping, got {ConfigNames.Describe(node)}");
                }

                var dictionary = (IDictionary)Activator.CreateInstance(type)!;
                var valueInfo = info?.GenericTypeArguments.ElementAtOrDefault(1);
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        Report(keyNode, path, $"keys must be plain names, got {ConfigNames.Describe(keyNode)}");
                        continue;
                    }

                    if (TryBind(valueType, valueInfo, valueNode, ConfigNames.Join(path, key), out var entry))
                    {
                        dictionary[key] = entry;
                    }
                }

                value = dictionary;
                return errors.Count == errorsBefore;
            }

            if (IsObjectType(type))
            {
                if (node is not YamlMappingNode mapping)
                {
                    return Report(node, path, $"expected a mapping, got {ConfigNames.Describe(node)}");
                }

                value = BindObject(type, mapping, path, mapping);
                return errors.Count == errorsBefore;
            }

            if (!IsScalarType(type))
            {
                // A mistake in an options class, not in the file: fail loudly whatever the YAML holds.
                throw new InvalidOperationException(
                    $"The configuration binder cannot read {type} (at '{path}'); use string, int, long, double, float, bool, an enum, List<T>, Dictionary<string, T> or a class.");
            }

            if (node is not YamlScalarNode { Value: { } text })
            {
                return Report(node, path, $"expected {Noun(type)}, got {ConfigNames.Describe(node)}");
            }

            return TryConvertScalar(type, text, node, path, out value);
        }

        private bool TryConvertScalar(Type type, string text, YamlNode node, string path, out object? value)
        {
            value = null;
            if (type == typeof(string))
            {
                value = text;
                return true;
            }

            if (type == typeof(bool))
            {
                if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("false", StringComparison.OrdinalIgnoreCase))
                {
                    value = text.Equals("true", StringComparison.OrdinalIgnoreCase);
                    return true;
                }

                return Report(node, path, $"expected true or false, got '{text}'");
            }

            if (type == typeof(int) || type == typeof(long))
            {
                var (min, max) = type == typeof(int) ? (int.MinValue, int.MaxValue) : (long.MinValue, long.MaxValue);
                switch (ConfigNames.TryParseInteger(text, min, max, out var number))
                {
                    case ConfigNames.IntegerParse.Ok:
                        value = type == typeof(int) ? (object)(int)number : number;
                        return true;
                    case ConfigNames.IntegerParse.NotWhole:
                        return Report(node, path, $"expected a whole number, got '{text}'");
                    case ConfigNames.IntegerParse.OutOfRange:
                        return Report(node, path, $"'{text}' is out of range (at most {max})");
                    default:
                        return Report(node, path, $"expected a whole number, got '{text}'");
                }
            }

            if (type == typeof(double) || type == typeof(float))
            {
                if (!ConfigNames.TryParseDouble(text, out var number))
                {
                    return Report(node, path, $"expected a number, got '{text}'");
                }

                // YAML's .nan and .inf are numbers, but no option means anything by them: an unbounded limit is
                // written by leaving the key out, and a NaN would pass every range check and poison what follows.
                if (!double.IsFinite(number) || (type == typeof(float) && !float.IsFinite((float)number)))
                {
                    return Report(node, path, $"expected a finite number, got '{text}'");
                }

                value = type == typeof(float) ? (object)(float)number : number;
                return true;
            }

            if (type.IsEnum)
            {
                return ConfigNames.TryParseEnum(type, text, out value)
                       || Report(node, path, $"expected one of {string.Join("|", ConfigNames.EnumValueNames(type))}, got '{text}'");
            }

            throw new InvalidOperationException($"Unexpected scalar type {type}.");
        }

        private static bool IsScalarType(Type type) =>
            type == typeof(string) || type == typeof(bool) || type == typeof(int) || type == typeof(long)
            || type == typeof(double) || type == typeof(float) || type.IsEnum;

        private static string Noun(Type type) => type switch
        {
            _ when type == typeof(string) => "a string",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) => "a number",
            _ when type.IsEnum => $"one of {string.Join("|", ConfigNames.EnumValueNames(type))}",
            _ when type == typeof(YamlSequenceNode) => "a list",
            _ when type == typeof(YamlScalarNode) => "a single value",
            _ => "a mapping",
        };
    }
}
