using System.Runtime.Loader;
using SemiNas.Contracts;
using SemiNas.Host.Plugins;

namespace SemiNas.Host.Tests.Plugins;

// build/TestPlugins.targets puts the sample plugin and the broken fixture plugins under test-plugins/ of the output
// folder; build/BundledPlugins.targets puts the real plugins under plugins/.
public sealed class PluginCatalogTests : IDisposable
{
    private const string Sample = "SemiNas.Samples.MinimalPlugin";
    private static readonly string TestPlugins = Path.Combine(AppContext.BaseDirectory, "test-plugins");
    private static readonly string SampleFolder = Path.Combine(TestPlugins, Sample);

    private readonly string _temp = Directory.CreateTempSubdirectory("seminas-plugins-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Windows keeps loaded plugin assemblies locked; a leftover temp folder is harmless.
        }
    }

    [Fact]
    public void Bundled_nasbench201_loads_from_the_plugins_folder_beside_the_host()
    {
        var catalog = PluginCatalog.Discover([]);

        Assert.Empty(catalog.Errors);
        var plugin = catalog.Get("nasbench201");
        Assert.Equal("nasbench201", plugin.Name);
        var loaded = Assert.Single(catalog.Plugins, p => p.Name == "nasbench201");
        Assert.StartsWith(PluginCatalog.BundledDirectory, loaded.SourcePath);
    }

    [Fact]
    public async Task Sample_plugin_loads_and_its_task_samples_validates_and_evaluates()
    {
        var catalog = PluginCatalog.Discover([SampleFolder], includeBundled: false);

        Assert.Empty(catalog.Errors);
        var loaded = Assert.Single(catalog.Plugins);
        Assert.Equal("onemax", loaded.Name);
        Assert.Equal(new Version(1, 0, 0, 0), loaded.Version);
        Assert.Equal(Path.Combine(SampleFolder, Sample + ".dll"), loaded.SourcePath);

        using var task = CreateTask(loaded.Plugin, length: 8);
        Assert.Equal(8, task.Space.Length);
        Assert.Equal(3, task.Space.VocabularySize);
        var architecture = task.Space.Sample(new Random(1));
        Assert.True(task.Space.IsValid(architecture, out var reason), reason);
        Assert.False(task.Space.IsValid(Architecture.Parse("1 2 3"), out reason));
        Assert.NotNull(reason);
        Assert.Equal(architecture.ToString(), task.Space.CanonicalKey(architecture));

        var ones = architecture.Tokens.Count(t => t == 2);
        Assert.Equal(ones, task.CheapMetrics(architecture)["ones"]);
        var progress = new RecordingProgress();
        var metrics = await task.EvaluateAsync(architecture, Context(progress), CancellationToken.None);
        Assert.InRange(metrics[task.Objective.Metric], ones, ones + 1);
        Assert.NotEmpty(progress.Reports);
        Assert.Equal(1.0, progress.Reports[^1].Fraction);

        // Deterministic: the same architecture scores the same every time.
        var again = await task.EvaluateAsync(architecture, Context(null), CancellationToken.None);
        Assert.Equal(metrics["score"], again["score"]);
    }

    [Fact]
    public async Task Sample_evaluation_honours_cancellation()
    {
        var catalog = PluginCatalog.Discover([SampleFolder], includeBundled: false);
        using var task = CreateTask(catalog.Get("onemax"), length: 4, delayMs: 60_000);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            task.EvaluateAsync(Architecture.Parse("1 2 1 2"), Context(null), cancellation.Token));
    }

    [Fact]
    public void Broken_plugins_are_reported_and_do_not_stop_the_good_one()
    {
        var catalog = PluginCatalog.Discover([TestPlugins], includeBundled: false);

        // The crashing fixture is a working plugin: only its evaluations end their process.
        Assert.Equal(["crashing", "onemax"], catalog.Plugins.Select(p => p.Name).Order());
        Assert.Equal(3, catalog.Errors.Count);

        var throwing = Assert.Single(catalog.Errors, e => e.Name == "ThrowingPlugin");
        Assert.Equal(Path.Combine(TestPlugins, "ThrowingPlugin", "ThrowingPlugin.dll"), throwing.Path);
        Assert.Contains("constructor", throwing.Reason);
        Assert.Contains("InvalidOperationException: boom", throwing.Reason);

        var future = Assert.Single(catalog.Errors, e => e.Name == "future");
        Assert.Equal(Path.Combine(TestPlugins, "FuturePlugin", "FuturePlugin.dll"), future.Path);
        Assert.Equal("built against contract version 99, this host supports 2; rebuild it against SemiNas.Contracts 2",
            future.Reason);
    }

    [Fact]
    public void A_plugin_built_for_contract_version_1_is_refused_with_its_version_and_the_fix()
    {
        var folder = Path.Combine(TestPlugins, "V1Plugin");

        var catalog = PluginCatalog.Discover([folder], includeBundled: false);

        Assert.Empty(catalog.Plugins);
        var old = Assert.Single(catalog.Errors);
        Assert.Equal("V1Plugin", old.Name);
        Assert.Equal(Path.Combine(folder, "V1Plugin.dll"), old.Path);
        Assert.Equal("version 1.3.0.0 of this plugin was built against SemiNas.Contracts 1.0.0 (contract version 1); this host " +
            "needs contract version 2: rebuild it against SemiNas.Contracts 2.1.0 (docs/plugins.md, \"Migrating from contract " +
            "version 1\", says what changed)", old.Reason);
    }

    [Fact]
    public void A_missing_dll_and_a_junk_dll_give_clear_errors()
    {
        Directory.CreateDirectory(Path.Combine(_temp, "Empty"));
        Directory.CreateDirectory(Path.Combine(_temp, "Junk"));
        File.WriteAllText(Path.Combine(_temp, "Junk", "Junk.dll"), "this is not an assembly");

        var catalog = PluginCatalog.Discover([_temp], includeBundled: false);

        Assert.Empty(catalog.Plugins);
        Assert.Equal(2, catalog.Errors.Count);
        var empty = Assert.Single(catalog.Errors, e => e.Name == "Empty");
        Assert.Contains("Empty.dll is missing", empty.Reason);
        var junk = Assert.Single(catalog.Errors, e => e.Name == "Junk");
        Assert.Equal(Path.Combine(_temp, "Junk", "Junk.dll"), junk.Path);
        Assert.Contains("not a .NET assembly", junk.Reason);
    }

    [Fact]
    public void Paths_that_are_not_plugins_give_clear_errors()
    {
        var missing = Path.Combine(_temp, "nowhere");
        var text = Path.Combine(_temp, "notes.txt");
        File.WriteAllText(text, "hello");
        var emptyFolder = Directory.CreateDirectory(Path.Combine(_temp, "nothing-here")).FullName;

        var catalog = PluginCatalog.Discover([missing, text, emptyFolder], includeBundled: false);

        Assert.Empty(catalog.Plugins);
        Assert.Collection(catalog.Errors,
            e => Assert.Equal((missing, "no such file or folder"), (e.Path, e.Reason)),
            e => Assert.Contains("not a .dll", e.Reason),
            e => Assert.Contains("no plugin found", e.Reason));
    }

    [Fact]
    public void A_plugin_dll_a_build_output_folder_and_the_same_plugin_twice_are_understood()
    {
        // A build output folder is named after the configuration, not the plugin: its .deps.json names the plugin.
        var buildOutput = Directory.CreateDirectory(Path.Combine(_temp, "debug")).FullName;
        foreach (var file in Directory.GetFiles(SampleFolder))
            File.Copy(file, Path.Combine(buildOutput, Path.GetFileName(file)));
        var dll = Path.Combine(SampleFolder, Sample + ".dll");

        var fromDll = PluginCatalog.Discover([dll], includeBundled: false);
        var fromBuild = PluginCatalog.Discover([buildOutput], includeBundled: false);
        // The same file reached through its folder and directly is one plugin, not a duplicate.
        var twice = PluginCatalog.Discover([SampleFolder, dll], includeBundled: false);

        Assert.Equal("onemax", Assert.Single(fromDll.Plugins).Name);
        Assert.Empty(fromDll.Errors);
        Assert.Equal(Path.Combine(buildOutput, Sample + ".dll"), Assert.Single(fromBuild.Plugins).SourcePath);
        Assert.Empty(fromBuild.Errors);
        Assert.Single(twice.Plugins);
        Assert.Empty(twice.Errors);
    }

    [Fact]
    public void Two_plugins_with_the_same_name_keep_the_first_and_name_both_paths()
    {
        var copy = Directory.CreateDirectory(Path.Combine(_temp, Sample)).FullName;
        foreach (var file in Directory.GetFiles(SampleFolder))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        var first = Path.Combine(SampleFolder, Sample + ".dll");
        var second = Path.Combine(copy, Sample + ".dll");

        var catalog = PluginCatalog.Discover([SampleFolder, _temp], includeBundled: false);

        Assert.Equal(first, Assert.Single(catalog.Plugins).SourcePath);
        var error = Assert.Single(catalog.Errors);
        Assert.Equal("onemax", error.Name);
        Assert.Equal(second, error.Path);
        Assert.Contains(first, error.Reason);
        Assert.Contains(second, error.Reason);
    }

    [Fact]
    public void Get_of_an_unknown_plugin_lists_the_available_ones_and_the_load_error_of_that_name()
    {
        var catalog = PluginCatalog.Discover([TestPlugins], includeBundled: false);

        var unknown = Assert.Throws<KeyNotFoundException>(() => catalog.Get("nope"));
        Assert.Contains("'nope'", unknown.Message);
        Assert.Contains("Available plugins: ", unknown.Message);
        Assert.Contains("onemax 1.0.0.0", unknown.Message);
        Assert.Contains("crashing 1.0.0.0", unknown.Message);
        Assert.Contains("boom", unknown.Message);

        var broken = Assert.Throws<KeyNotFoundException>(() => catalog.Get("future"));
        Assert.Contains("A plugin named 'future' was found", broken.Message);
        Assert.Contains("contract version 99", broken.Message);

        Assert.Same(catalog.Plugins.Single(p => p.Name == "onemax").Plugin, catalog.Get("OneMax"));
    }

    [Fact]
    public void A_loaded_plugin_shares_the_hosts_contract_types_from_its_own_load_context()
    {
        var catalog = PluginCatalog.Discover([SampleFolder], includeBundled: false);
        object plugin = Assert.Single(catalog.Plugins).Plugin;

        Assert.IsAssignableFrom<ITaskPlugin>(plugin);
        var contract = plugin.GetType().GetInterfaces().Single(i => i.FullName == typeof(ITaskPlugin).FullName);
        Assert.Same(typeof(ITaskPlugin), contract);
        Assert.NotSame(AssemblyLoadContext.Default, AssemblyLoadContext.GetLoadContext(plugin.GetType().Assembly));
        Assert.Same(AssemblyLoadContext.GetLoadContext(typeof(ITaskPlugin).Assembly),
            AssemblyLoadContext.GetLoadContext(contract.Assembly));
        // The plugin folder carries no copy of the contract, by design of its project file.
        Assert.False(File.Exists(Path.Combine(SampleFolder, "SemiNas.Contracts.dll")));
    }

    private static ISearchTask CreateTask(ITaskPlugin plugin, int length, int delayMs = 20)
    {
        // The test cannot name the plugin's options type, so it sets the options as the YAML binder would.
        var options = Activator.CreateInstance(plugin.OptionsType)!;
        plugin.OptionsType.GetProperty("Length")!.SetValue(options, length);
        plugin.OptionsType.GetProperty("DelayMs")!.SetValue(options, delayMs);
        return plugin.CreateTask(options, new TaskCreationContext { ConfigDirectory = AppContext.BaseDirectory, Seed = 7 });
    }

    private static EvaluationContext Context(IProgress<EvaluationProgress>? progress) => new()
    {
        TrialId = 1,
        Device = "cpu",
        Seed = 1,
        WorkingDirectory = Path.GetTempPath(),
        ExperimentDirectory = Path.GetTempPath(),
        Progress = progress,
    };

    // Progress<T> reports on the thread pool, after the fact; the test needs the reports as they happen.
    private sealed class RecordingProgress : IProgress<EvaluationProgress>
    {
        public List<EvaluationProgress> Reports { get; } = [];

        public void Report(EvaluationProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }
}
