using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using SemiNas.Host.Tests.Cli;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SemiNas.Host.Tests.Deploy;

/// <summary>
/// deploy/kubernetes without a cluster: every manifest against the Kubernetes API's JSON schemas (vendored, strict:
/// a field the API does not know is an error, as `kubectl apply` reports it), the manifests against each other, and
/// the Dockerfile against the repository it builds.
/// </summary>
public sealed class KubernetesManifestTests
{
    private static string Folder => Path.Combine(Repository.Root, "deploy", "kubernetes");

    /// <summary>The vendored schema of each kind the manifests use (deploy/kubernetes/schemas/README.md).</summary>
    private static readonly Dictionary<(string ApiVersion, string Kind), string> Schemas = new()
    {
        [("batch/v1", "Job")] = "job-batch-v1.json",
        [("v1", "Secret")] = "secret-v1.json",
        [("v1", "ConfigMap")] = "configmap-v1.json",
        [("v1", "PersistentVolumeClaim")] = "persistentvolumeclaim-v1.json",
    };

    public static TheoryData<string> Manifests() =>
        new(Directory.GetFiles(Folder, "*.yaml").Select(Path.GetFileName).Order()!);

    [Theory]
    [MemberData(nameof(Manifests))]
    public void Each_manifest_is_valid_against_the_Kubernetes_API_schema(string file)
    {
        var documents = Load(file);
        Assert.NotEmpty(documents);
        foreach (var document in documents)
        {
            var errors = Errors(document);
            Assert.True(errors.Count == 0, $"{file}:\n" + string.Join("\n", errors));
        }
    }

    [Theory]
    [InlineData("spec.parallelism", "paralelism")]
    [InlineData("spec.template.spec.containers.0.resources", "resource")]
    [InlineData("spec.template.spec.containers.0.env.1.valueFrom.secretKeyRef", "secretRef")]
    [InlineData("spec.podFailurePolicy.rules.0.onExitCodes.containerName", "container")]
    public void A_misspelled_field_is_an_error_that_names_it(string path, string misspelling)
    {
        var job = Load("worker-job.yaml").Single();
        Assert.Empty(Errors(job));
        var (parent, name) = Locate(job, path);
        var value = parent[name]!;
        parent.Remove(name);
        parent[misspelling] = value;

        var errors = Errors(job);
        Assert.Contains(errors, e => e.Contains(misspelling, StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_of_the_wrong_type_is_an_error()
    {
        var job = Load("worker-job.yaml").Single();
        job["spec"]!["parallelism"] = "four";
        Assert.Contains(Errors(job), e => e.Contains("/spec/parallelism", StringComparison.Ordinal));
    }

    [Fact]
    public void The_jobs_use_the_secret_config_map_volume_and_image_that_the_other_manifests_define()
    {
        var secret = Load("secret.yaml").Single();
        var configMap = Load("experiment-configmap.yaml").Single();
        var claim = Load("shared-pvc.yaml").Single();
        var workers = Load("worker-job.yaml").Single();
        var proposer = Load("proposer-job.yaml").Single();

        var parallelism = (int)workers["spec"]!["parallelism"]!;
        Assert.True(parallelism > 1);
        Assert.Equal(parallelism, (int)workers["spec"]!["completions"]!);

        var secretKeys = secret["stringData"]!.AsObject().Select(p => p.Key).ToHashSet();
        foreach (var job in new[] { workers, proposer })
        {
            var pod = job["spec"]!["template"]!["spec"]!;
            foreach (var container in Containers(pod))
            {
                Assert.Equal("registry.example.org/seminas:latest", (string)container["image"]!);
                var env = Env(container);
                // The URL and the password come from the Secret, never from the manifest itself.
                foreach (var name in new[] { "SEMINAS_STORAGE_URL", "PGPASSWORD" })
                {
                    var reference = env[name]!["valueFrom"]!["secretKeyRef"]!;
                    Assert.Equal((string)secret["metadata"]!["name"]!, (string)reference["name"]!);
                    Assert.Contains((string)reference["key"]!, secretKeys);
                }
            }
            var volumes = pod["volumes"]!.AsArray();
            Assert.Contains(volumes, v => (string?)v!["configMap"]?["name"] == (string)configMap["metadata"]!["name"]!);
            Assert.Contains(volumes, v => (string?)v!["persistentVolumeClaim"]?["claimName"] == (string)claim["metadata"]!["name"]!);
        }

        var worker = Containers(workers["spec"]!["template"]!["spec"]!).Single(c => (string)c["name"]! == "worker");
        var args = worker["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(new[] { "worker", "$(SEMINAS_STORAGE_URL)", "--experiment", "$(SEMINAS_EXPERIMENT)", "--device", "cuda:0" }, args.Take(6));
        Assert.Equal("1", worker["resources"]!["limits"]!["nvidia.com/gpu"]!.ToString());
        // The podFailurePolicy's rule names the container it watches.
        Assert.Equal("worker", (string)workers["spec"]!["podFailurePolicy"]!["rules"]![0]!["onExitCodes"]!["containerName"]!);

        var proposerArgs = Containers(proposer["spec"]!["template"]!["spec"]!).Single()["args"]!.AsArray().Select(a => (string)a!).ToList();
        Assert.Equal(new[] { "search", "/config/experiment.yaml", "--storage", "$(SEMINAS_STORAGE_URL)", "--workers", "0" }, proposerArgs);
    }

    [Fact]
    public async Task The_experiment_in_the_config_map_is_valid_and_is_the_one_the_workers_name()
    {
        var configMap = Load("experiment-configmap.yaml").Single();
        using var folder = new TempFolder();
        var text = (string)configMap["data"]!["experiment.yaml"]!;
        folder.Write("experiment.yaml", text);
        var validate = await SeminasProcess.RunAsync(folder.Path, "validate", "experiment.yaml");
        Assert.True(validate.ExitCode == 0, validate.Output + validate.Error);

        var name = Regex.Match(text, @"^name:\s*(\S+)", RegexOptions.Multiline).Groups[1].Value;
        var workers = Load("worker-job.yaml").Single();
        var pod = workers["spec"]!["template"]!["spec"]!;
        Assert.All(Containers(pod), c => Assert.Equal(name, (string)Env(c)["SEMINAS_EXPERIMENT"]!["value"]!));
    }

    [Fact]
    public void The_Dockerfile_copies_what_the_repository_has_and_runs_what_the_build_makes()
    {
        var lines = Instructions(File.ReadAllText(Path.Combine(Folder, "Dockerfile")));
        // COPY sources from the build context (the repository root) exist.
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=")))
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            Assert.All(parts, p => Assert.True(File.Exists(Path.Combine(Repository.Root, p)) || Directory.Exists(Path.Combine(Repository.Root, p)),
                $"the Dockerfile copies {p}, which the repository does not have"));
        }
        // The build stage's output folder is where `dotnet build src/Host/SemiNas.Host.csproj -c Release` puts the host
        // (this test run built it there), with seminas.dll and the bundled plugins beside it.
        var fromBuild = lines.Single(l => l.StartsWith("COPY --from=build ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (source, target) = (fromBuild[^2], fromBuild[^1]);
        Assert.StartsWith("/src/", source);
        var output = Path.Combine(Repository.Root, source["/src/".Length..]);
        Assert.True(File.Exists(Path.Combine(output, "seminas.dll")), $"{output} has no seminas.dll");
        Assert.True(File.Exists(Path.Combine(output, "plugins", "SemiNas.Plugins.NasBench", "SemiNas.Plugins.NasBench.dll")), $"{output} has no bundled plugins");
        Assert.Contains(lines, l => l.StartsWith("RUN dotnet build src/Host/SemiNas.Host.csproj -c Release", StringComparison.Ordinal));

        var entrypoint = lines.Single(l => l.StartsWith("ENTRYPOINT ", StringComparison.Ordinal));
        var dll = target.TrimEnd('/') + "/seminas.dll";
        Assert.Equal($"ENTRYPOINT [\"dotnet\", \"{dll}\"]", entrypoint);
        // The init container runs the same host.
        Assert.Contains($"dotnet {dll} status", File.ReadAllText(Path.Combine(Folder, "worker-job.yaml")));

        // The CUDA build replaces the package reference in the files that hold it.
        var sed = lines.Single(l => l.Contains("sed -i", StringComparison.Ordinal));
        foreach (var file in new[] { "Directory.Packages.props", "src/Controller/SemiNas.Controller.csproj" })
        {
            Assert.Contains(file, sed);
            Assert.Contains("\"TorchSharp-cpu\"", File.ReadAllText(Path.Combine(Repository.Root, file)));
        }
    }

    private static List<JsonObject> Load(string file)
    {
        var path = Path.Combine(Folder, file);
        var stream = new YamlStream();
        using (var reader = new StringReader(File.ReadAllText(path))) stream.Load(reader);
        return stream.Documents.Select(d => (JsonObject)ToJson(d.RootNode)!).ToList();
    }

    /// <summary>
    /// YAML to JSON as the Kubernetes API reads it (YAML 1.2's core schema): unquoted integers, booleans and nulls
    /// are typed, quoted scalars are strings, so `cpu: "8"` stays a string and `parallelism: 4` a number.
    /// </summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(p =>
            KeyValuePair.Create(((YamlScalarNode)p.Key).Value!, ToJson(p.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: ScalarStyle.Plain } s when s.Value is null or "" or "~" or "null" => null,
        YamlScalarNode { Style: ScalarStyle.Plain } s when s.Value is "true" or "false" => JsonValue.Create(s.Value == "true"),
        YamlScalarNode { Style: ScalarStyle.Plain } s when Regex.IsMatch(s.Value!, @"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$") => JsonNode.Parse(s.Value!),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => throw new InvalidOperationException($"unexpected YAML node {node.NodeType} at {node.Start}"),
    };

    /// <summary>Each schema error as "LOCATION: message", empty when the document is valid.</summary>
    private static List<string> Errors(JsonObject document)
    {
        var apiVersion = (string?)document["apiVersion"];
        var kind = (string?)document["kind"];
        Assert.True(apiVersion is not null && kind is not null, "a manifest without apiVersion or kind");
        Assert.True(Schemas.TryGetValue((apiVersion, kind), out var file), $"no schema vendored for {apiVersion} {kind}: add it to deploy/kubernetes/schemas");
        var schema = SchemaFor(file!);
        var errors = new List<string>();
        Collect(schema.Evaluate(document, new EvaluationOptions { OutputFormat = OutputFormat.Hierarchical }), errors);
        return errors;
    }

    /// <summary>The errors of the failed parts only: a oneOf that holds also has branches that failed.</summary>
    private static void Collect(EvaluationResults node, List<string> errors)
    {
        if (node.IsValid) return;
        foreach (var (_, message) in node.Errors ?? new Dictionary<string, string>())
            errors.Add($"{node.InstanceLocation}: {message} ({node.EvaluationPath})");
        foreach (var child in node.Details ?? []) Collect(child, errors);
    }

    private static readonly Dictionary<string, JsonSchema> Loaded = [];

    private static JsonSchema SchemaFor(string file)
    {
        lock (Loaded)
        {
            if (Loaded.TryGetValue(file, out var schema)) return schema;
            // The files name their dialect "http://json-schema.org/schema#" (openapi2jsonschema's "the latest"), which
            // no validator resolves; the keywords they use (type, properties, additionalProperties, required, items,
            // oneOf, enum, maxLength) mean the same in every draft, so they are read as the validator's default.
            var text = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder, "schemas", file)))!.AsObject();
            text.Remove("$schema");
            return Loaded[file] = JsonSchema.FromText(text.ToJsonString());
        }
    }

    private static IEnumerable<JsonNode> Containers(JsonNode pod) =>
        pod["containers"]!.AsArray().Concat(pod["initContainers"]?.AsArray() ?? []).Select(c => c!);

    private static Dictionary<string, JsonNode> Env(JsonNode container) =>
        container["env"]!.AsArray().ToDictionary(e => (string)e!["name"]!, e => e!);

    /// <summary>The object that holds the last step of a dotted path (numbers index arrays), and that step's name.</summary>
    private static (JsonObject Parent, string Name) Locate(JsonObject root, string path)
    {
        var steps = path.Split('.');
        JsonNode node = root;
        foreach (var step in steps[..^1])
            node = int.TryParse(step, out var index) ? node.AsArray()[index]! : node[step]!;
        return (node.AsObject(), steps[^1]);
    }

    /// <summary>The Dockerfile's instructions, continuation lines joined, comments dropped.</summary>
    private static List<string> Instructions(string text) =>
        Regex.Replace(text, @"\\\r?\n", " ")
            .Split('\n')
            .Select(l => Regex.Replace(l.Trim(), @"\s+", " "))
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();
}
