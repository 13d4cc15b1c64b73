using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using SemiNas.Contracts;
using SemiNas.Plugins.NasBench.NasBench101;

namespace SemiNas.NasBench.Tests;

public class NasBench101TaskTests
{
    private static readonly EvaluationContext Context = new()
    {
        TrialId = 1, Device = "cpu", Seed = 1, WorkingDirectory = Path.GetTempPath(), ExperimentDirectory = Path.GetTempPath(),
    };

    private static NasBench101Task CreateSliceTask(NasBench101Query query = NasBench101Query.RandomRun) =>
        (NasBench101Task)new NasBench101Plugin().CreateTask(
            new NasBench101Options { Query = query }, new TaskCreationContext { ConfigDirectory = ".", Seed = 1 });

    private static Architecture BestOfSlice =>
        NasBench101Encoding.Encode(NasBench101Table.Slice.Cell(NasBench101Table.Slice.RowOf(NasBench101Cells.BestOfSliceHash)));

    [Fact]
    public async Task The_best_cell_of_the_slice_scores_its_recorded_validation_accuracy_in_percent()
    {
        using var task = CreateSliceTask();
        var metrics = await task.EvaluateAsync(BestOfSlice, Context, CancellationToken.None);

        Assert.Equal(94.912, metrics["valid_accuracy"], 3);
        Assert.Equal(["params", "training_time", "valid_accuracy"], metrics.Keys.Order());
        Assert.Equal(task.CheapMetrics(BestOfSlice)["params"], metrics["params"]);
        Assert.InRange(metrics["training_time"], 100, 10_000);
    }

    [Fact]
    public void On_the_slice_says_that_only_slice_cells_are_valid_and_that_there_is_no_test_accuracy()
    {
        using var task = CreateSliceTask();

        Assert.Equal(new Objective("valid_accuracy", MetricGoal.Maximize), task.Objective);
        Assert.Equal(["valid_accuracy", "training_time", "params"], task.Metrics.Select(m => m.Name));
        Assert.Equal(["params"], task.Metrics.Where(m => m.Cheap).Select(m => m.Name));
        Assert.Contains("20,001-cell slice", task.Metrics[0].Description);
        Assert.Contains("only the slice's cells are valid", task.Metrics[0].Description);
        Assert.Contains("20,001 cells of the shipped slice", new NasBench101Plugin().Description.Replace("\n", " "));
    }

    [Fact]
    public async Task A_valid_cell_outside_the_slice_is_invalid_with_the_reason_and_never_gets_a_made_up_value()
    {
        using var task = CreateSliceTask();
        var inception = NasBench101Encoding.Encode(NasBench101Cells.Inception);

        Assert.False(task.Space.IsValid(inception, out var reason));
        Assert.Contains("28cfc7874f6d200472e1a9dcd8650aa0 is a valid NAS-Bench-101 cell but not one of the 20,001 cells", reason);
        Assert.Contains("dataFile", reason);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => task.EvaluateAsync(inception, Context, CancellationToken.None));
        Assert.Contains("not one of the 20,001 cells", error.Message);
        Assert.Throws<ArgumentException>(() => task.CheapMetrics(inception));
        // Still a cell of the space, with the benchmark's hash as key: isomorphism does not depend on the data.
        Assert.True(((IPartlyEvaluableSpace)task.Space).IsInSpace(inception, out var outside), outside);
        Assert.Equal("28cfc7874f6d200472e1a9dcd8650aa0", task.Space.CanonicalKey(inception));
        Assert.EndsWith(" hash 28cfc7874f6d200472e1a9dcd8650aa0", task.Space.Describe(inception));
        Assert.False(((IPartlyEvaluableSpace)task.Space).IsInSpace(Architecture.Parse("1 2 3"), out outside));
        Assert.Contains("27 tokens", outside);
    }

    [Fact]
    public void Describes_a_cell_in_the_official_api_notation_with_its_hash()
    {
        using var task = CreateSliceTask();
        var small = NasBench101Encoding.Encode(NasBench101Cells.FromMatrix([[0, 1, 1], [0, 0, 1], [0, 0, 0]], [NasBench101Cells.Conv3x3]));

        Assert.StartsWith($"matrix=[[0, 1, 1], [0, 0, 1], [0, 0, 0]], ops=['input', 'conv3x3-bn-relu', 'output']) hash {task.Space.CanonicalKey(small)}",
            task.Space.Describe(small));
        Assert.Equal($"{NasBench101Table.Slice.Cell(0)} hash {NasBench101Table.Slice.Hash(0)}",
            task.Space.Describe(NasBench101Encoding.Encode(NasBench101Table.Slice.Cell(0))));
        Assert.Contains("not a NAS-Bench-101 cell: A NAS-Bench-101 sequence has 27 tokens", task.Space.Describe(Architecture.Parse("1 2 3")));
    }

    [Fact]
    public void Samples_slice_cells_uniformly_and_reproducibly_and_enumerates_each_once()
    {
        using var task = CreateSliceTask();
        var space = (NasBench101SearchSpace)task.Space;

        var first = Draw(space, seed: 4, count: 2_000);
        Assert.Equal(first, Draw(space, seed: 4, count: 2_000));
        Assert.NotEqual(first, Draw(space, seed: 5, count: 2_000));
        Assert.All(first, a => Assert.True(space.IsValid(a, out _)));
        // 2,000 draws out of 20,001 cells: about 1,900 distinct when uniform.
        Assert.InRange(first.Select(space.CanonicalKey).Distinct().Count(), 1_850, 1_960);

        var all = space.EnumerateAll().ToList();
        Assert.Equal(20_001, all.Count);
        Assert.Equal(20_001, all.Select(space.CanonicalKey).Distinct().Count());
        Assert.Equal(27, space.Length);
        Assert.Equal(7, space.VocabularySize);
    }

    [Fact]
    public void On_the_slice_draws_cells_to_pseudo_label_from_the_whole_space()
    {
        using var task = CreateSliceTask();
        var space = (NasBench101SearchSpace)task.Space;

        List<Architecture> DrawUnlabelled(int seed)
        {
            var random = new Random(seed);
            return Enumerable.Range(0, 1_000).Select(_ => space.SampleUnlabelled(random)).ToList();
        }

        var drawn = DrawUnlabelled(4);
        Assert.Equal(drawn, DrawUnlabelled(4));
        foreach (var a in drawn)
        {
            var cell = NasBench101Encoding.DecodeValid(a, out var reason);
            Assert.True(cell is { EdgeCount: <= NasBench101Spec.MaxEdges }, $"{a}: {reason}");
            Assert.Matches("^[0-9a-f]{32}$", space.CanonicalKey(a));
        }
        // The slice holds 20,001 of the 423,624 cells, so most draws are outside it (832 of 1,000 here: random_spec
        // favours small cells, which the slice holds more of); the search must never evaluate those.
        var outside = drawn.Where(a => !space.IsValid(a, out _)).ToList();
        Assert.InRange(outside.Count, 700, 950);
        Assert.False(space.IsValid(outside[0], out var why));
        Assert.Contains("not one of the 20,001 cells of the shipped slice", why);
    }

    [Fact]
    public async Task Mean_and_random_run_agree_on_the_slice_because_it_records_one_run()
    {
        using var random = CreateSliceTask();
        using var mean = CreateSliceTask(NasBench101Query.Mean);

        for (var seed = 0; seed < 5; seed++)
        {
            var context = new EvaluationContext { TrialId = seed, Device = "cpu", Seed = seed, WorkingDirectory = Path.GetTempPath(), ExperimentDirectory = Path.GetTempPath() };
            Assert.Equal((await mean.EvaluateAsync(BestOfSlice, context, CancellationToken.None))["valid_accuracy"],
                (await random.EvaluateAsync(BestOfSlice, context, CancellationToken.None))["valid_accuracy"]);
        }
    }

    [Fact]
    public async Task Concurrent_evaluations_agree_with_sequential_ones()
    {
        using var task = CreateSliceTask();
        var architectures = Enumerable.Range(0, 200).Select(i => NasBench101Encoding.Encode(NasBench101Table.Slice.Cell(i * 97))).ToList();

        var parallel = await Task.WhenAll(architectures.Select(a => Task.Run(() => task.EvaluateAsync(a, Context, CancellationToken.None))));
        for (var i = 0; i < architectures.Count; i++)
        {
            Assert.Equal(100 * NasBench101Table.Slice.ValidationAccuracy(i * 97, 0), parallel[i]["valid_accuracy"], 9);
            Assert.Equal((await task.EvaluateAsync(architectures[i], Context, CancellationToken.None))["valid_accuracy"], parallel[i]["valid_accuracy"]);
        }
    }

    private static List<Architecture> Draw(ISearchSpace space, int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => space.Sample(random)).ToList();
    }
}

public class NasBench101PluginTests
{
    [Fact]
    public void Is_named_nasbench101_and_documents_every_option()
    {
        var plugin = new NasBench101Plugin();

        Assert.Equal("nasbench101", plugin.Name);
        Assert.Equal(ContractVersion.Current, plugin.ContractVersion);
        Assert.Equal(typeof(NasBench101Options), plugin.OptionsType);
        Assert.All(typeof(NasBench101Options).GetProperties(), property =>
            Assert.False(string.IsNullOrWhiteSpace(
                property.GetCustomAttributes(typeof(DescriptionAttribute), false).Cast<DescriptionAttribute>()
                    .SingleOrDefault()?.Description)));
    }

    [Fact]
    public void Defaults_to_the_shipped_slice_and_the_official_random_run_query()
    {
        var options = new NasBench101Options();
        var results = new List<ValidationResult>();

        Assert.Null(options.DataFile);
        Assert.Null(options.CacheFile);
        Assert.Equal(NasBench101Query.RandomRun, options.Query);
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
    }
}
