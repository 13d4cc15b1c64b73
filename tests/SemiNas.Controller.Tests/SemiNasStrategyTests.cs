using SemiNas.Contracts;
using SemiNas.Controller.Strategies;
using SemiNas.Core;
using SemiNas.Core.Strategies;

namespace SemiNas.Controller.Tests;

public class SemiNasStrategyTests
{
    /// <summary>6 positions of tokens 1..5; the score rewards token 4 and punishes token 1, with one interaction.</summary>
    private sealed class ToySpace : ISearchSpace
    {
        public int Length => 6;

        public int VocabularySize => 6;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens { get; } = Enumerable.Repeat<IReadOnlyList<int>>([1, 2, 3, 4, 5], 6).ToList();

        public Architecture Sample(Random random) => new(Enumerable.Range(0, 6).Select(_ => random.Next(1, 6)));

        public bool IsValid(Architecture a, out string? reason)
        {
            reason = a.Length == 6 && a.Tokens.All(t => t is >= 1 and <= 5) ? null : "6 tokens of 1..5";
            return reason is null;
        }

        public string CanonicalKey(Architecture a) => a.ToString();

        public string Describe(Architecture a) => a.ToString();

        public static double Score(Architecture a) =>
            a.Tokens.Sum(t => t == 4 ? 2.0 : t == 1 ? -2.0 : 0.0) + (a[0] == a[5] ? 1 : 0);
    }

    /// <summary>The toy space of which only sequences not starting with 5 can be evaluated; all of it can be pseudo-labelled.</summary>
    private sealed class SlicedToySpace : IUnlabelledSampler
    {
        private readonly ToySpace _whole = new();

        public int UnlabelledDraws { get; private set; }

        public int Length => _whole.Length;

        public int VocabularySize => _whole.VocabularySize;

        public IReadOnlyList<IReadOnlyList<int>> AllowedTokens => _whole.AllowedTokens;

        public Architecture Sample(Random random)
        {
            while (true)
                if (_whole.Sample(random) is var a && a[0] != 5) return a;
        }

        public Architecture SampleUnlabelled(Random random)
        {
            UnlabelledDraws++;
            return _whole.Sample(random);
        }

        public bool IsValid(Architecture a, out string? reason)
        {
            if (!_whole.IsValid(a, out reason)) return false;
            reason = a[0] == 5 ? "outside the slice" : null;
            return reason is null;
        }

        public string CanonicalKey(Architecture a) => a.ToString();

        public string Describe(Architecture a) => a.ToString();
    }

    private static SemiNasOptions Tiny(int pseudoLabeled = 200) => new()
    {
        InitialSamples = 20,
        PseudoLabeled = pseudoLabeled,
        UpSample = 5,
        Seeds = 20,
        NewPerIteration = 5,
        Hidden = 16,
        MlpHidden = 16,
        PretrainEpochs = 300,
        TrainEpochs = 5,
    };

    private static StrategyContext Context(int seed, ISearchSpace? space = null, List<StrategyDiagnostics>? reports = null) => new()
    {
        Space = space ?? new ToySpace(),
        Objective = new Objective("score"),
        Seed = seed,
        IsAdmissible = a => a[2] != 5, // a constraint: position 2 never takes token 5
        ReportDiagnostics = reports is null ? null : reports.Add,
    };

    /// <summary>The mark <see cref="Drive"/> puts among the reports where it restarted the strategy (no iteration is 0).</summary>
    private static readonly StrategyDiagnostics Restart = new(0, new Dictionary<string, double>());

    /// <summary>
    /// Plays the host: propose, evaluate at once, record; optionally saves and restores the strategy midway. With
    /// <paramref name="reports"/>, the strategy reports its diagnostics there.
    /// </summary>
    private static List<Architecture> Drive(SemiNasOptions options, int seed, int budget, int? restartAt = null, ISearchSpace? space = null,
        List<StrategyDiagnostics>? reports = null)
    {
        var history = new SearchHistory();
        var strategy = new SemiNasStrategy(options, Context(seed, space, reports));
        var proposed = new List<Architecture>();
        while (proposed.Count < budget)
        {
            if (restartAt is { } at && proposed.Count >= at)
            {
                var state = strategy.SaveState();
                strategy.Dispose();
                strategy = new SemiNasStrategy(options, Context(seed, space, reports));
                strategy.RestoreState(state);
                reports?.Add(Restart);
                restartAt = null;
            }
            var batch = strategy.Propose(Math.Min(3, budget - proposed.Count), history);
            Assert.NotEmpty(batch);
            foreach (var a in batch)
            {
                var number = proposed.Count + 1;
                proposed.Add(a);
                history.Add(new TrialView(number, a, a.ToString(), TrialState.Complete, ToySpace.Score(a), true));
            }
        }
        strategy.Dispose();
        return proposed;
    }

    [Fact]
    public async Task A_cancelled_proposal_stops_the_controller_training()
    {
        var options = Tiny();
        options.PretrainEpochs = 10_000_000; // hours, unless cancellation stops it
        using var strategy = new SemiNasStrategy(options, Context(3));
        var history = new SearchHistory();
        foreach (var a in strategy.Propose(options.InitialSamples, history))
            history.Add(new TrialView(history.Trials.Count + 1, a, a.ToString(), TrialState.Complete, ToySpace.Score(a), true));

        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var proposing = Task.Run(() => strategy.Propose(5, history, cancel.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => proposing.WaitAsync(TimeSpan.FromMinutes(2)));
    }

    [Theory]
    [InlineData(false, 0.5)] // the paper's generator: first new candidates from the best (pseudo-)labelled seeds
    [InlineData(true, 2.0)]  // the guided one: best predicted of a pool around the best evaluated architectures
    public void Generated_architectures_are_new_admissible_and_better_than_the_random_start(bool guided, double margin)
    {
        var options = Tiny();
        if (guided)
        {
            options.SeedSource = SeedSource.Labelled;
            options.CandidateSelection = CandidateSelection.BestPredicted;
            options.MutationNeighbours = true;
            options.Seeds = 5;
        }
        var proposed = Drive(options, seed: 3, budget: 40);
        Assert.Equal(40, proposed.Select(a => a.ToString()).Distinct().Count());
        Assert.All(proposed, a => Assert.NotEqual(5, a[2]));
        var initial = proposed.Take(20).Average(ToySpace.Score);
        var generated = proposed.Skip(20).Average(ToySpace.Score);
        Assert.True(generated > initial + margin, $"generated {generated:F2} vs random {initial:F2}");
    }

    [Fact]
    public void The_same_seed_proposes_the_same_architectures_even_across_a_restart_and_whether_or_not_diagnostics_are_reported()
    {
        var uninterrupted = Drive(Tiny(), seed: 5, budget: 35);
        var reports = new List<StrategyDiagnostics>();
        var again = Drive(Tiny(), seed: 5, budget: 35, reports: reports);
        var restartedReports = new List<StrategyDiagnostics>();
        var restarted = Drive(Tiny(), seed: 5, budget: 35, restartAt: 27, reports: restartedReports);
        Assert.Equal(uninterrupted, again);
        Assert.Equal(uninterrupted, restarted);

        // 20 initial samples, then iterations of 5: 21-25, 26-30, 31-35. Each reports what it did when it generates
        // its batch, and its predictor's rank correlation once the batch's results are in, when the next one starts:
        // the last one's batch is never scored here, since nothing is proposed after it.
        var byIteration = Merged(reports);
        Assert.Equal([1, 2, 3], byIteration.Keys);
        for (var iteration = 1; iteration <= 3; iteration++)
        {
            var d = byIteration[iteration];
            Assert.Equal(20 + 5 * (iteration - 1), d["train.labelled"]);
            Assert.Equal(200, d["train.pseudo_labelled"]);
            Assert.Equal(5, d["batch.size"]);
            Assert.Equal(5, d["batch.from_steps"] + d["batch.neighbours"] + d["batch.random_fill"]);
            Assert.Equal(20, d["generator.seeds"]);
            Assert.Equal(d["generator.steps"] * Tiny().StepSize, d["generator.eta_reached"]);
            Assert.Equal(20 * d["generator.steps"], d["generator.decoded"]);
            Assert.InRange(d["generator.new"], d["batch.from_steps"], d["generator.decoded"]);
            if (d["batch.from_steps"] > 0) Assert.InRange(d["batch.eta_mean"], Tiny().StepSize, d["batch.eta_max"]);
            Assert.True(d["loss.final"] > 0 && d["loss.pretrain_mse"] > 0);
            Assert.Equal(iteration < 3, d.ContainsKey("rank.kendall_tau"));
            if (iteration == 3) continue;
            Assert.Equal(5, d["rank.scored"]);
            Assert.InRange(d["rank.kendall_tau"], -1, 1);
            Assert.InRange(d["rank.spearman"], -1, 1);
        }

        // A restart between iteration 2's proposals (at 27) loses nothing: the predictions for its batch came back
        // with the state, and the restarted strategy scores them when iteration 3 starts.
        var restart = restartedReports.IndexOf(Restart);
        Assert.Contains(restartedReports.Skip(restart), r => r.Iteration == 2 && r.Values.ContainsKey("rank.kendall_tau"));
        var resumed = Merged(restartedReports.Where(r => r != Restart));
        Assert.Equal(byIteration.Keys, resumed.Keys);
        foreach (var (iteration, values) in byIteration)
        {
            // Everything but the wall time is the same as without the restart.
            Assert.Equal(values.Where(v => v.Key != "controller.seconds"), resumed[iteration].Where(v => v.Key != "controller.seconds"));
        }
    }

    /// <summary>The reports by iteration, later values of a name replacing earlier ones, as the store keeps them.</summary>
    private static SortedDictionary<int, SortedDictionary<string, double>> Merged(IEnumerable<StrategyDiagnostics> reports)
    {
        var merged = new SortedDictionary<int, SortedDictionary<string, double>>();
        foreach (var r in reports)
        {
            if (!merged.TryGetValue(r.Iteration, out var values)) merged[r.Iteration] = values = new SortedDictionary<string, double>(StringComparer.Ordinal);
            foreach (var (name, value) in r.Values) values[name] = value;
        }
        return merged;
    }

    [Theory]
    [InlineData(SemiNasPreset.Nb101Neurips, 7, 27, 123_928)] // the controller sizes of seminas-method.md §2.4
    [InlineData(SemiNasPreset.Nb101V1, 7, 27, 10_312)]
    [InlineData(SemiNasPreset.ImageNet, 8, 21, 10_361)]
    [InlineData(SemiNasPreset.Tts, 12, 12, 10_557)]
    public void A_preset_builds_the_papers_controller(SemiNasPreset preset, int vocabulary, int length, long parameters)
    {
        var options = new SemiNasOptions { Hidden = 3, UpSample = 7, Preset = preset };
        using var model = new Nao.EpdModel(new Nao.EpdSettings(vocabulary, length, options.Hidden, options.MlpLayers, options.MlpHidden), seed: 1);
        Assert.Equal(parameters, model.ParameterCount);
        Assert.Equal(100, options.Seeds);
        Assert.NotEqual(7, options.UpSample);
        Assert.Equal(0, new NaoOptions { Preset = preset }.PseudoLabeled);
    }

    [Fact]
    public void Initial_samples_worse_than_the_threshold_are_replaced_and_still_spent()
    {
        var options = Tiny();
        options.DiscardInitialWorseThan = 0; // keep initial samples scoring 0 or more
        var history = new SearchHistory();
        using var strategy = new SemiNasStrategy(options, Context(seed: 4));
        var proposed = new List<Architecture>();
        // Until the first generated architecture: the initial phase is what this test is about.
        while (proposed.Count == strategy.InitialProposed)
        {
            var batch = strategy.Propose(4, history);
            Assert.NotEmpty(batch);
            foreach (var a in batch)
            {
                proposed.Add(a);
                history.Add(new TrialView(proposed.Count, a, a.ToString(), TrialState.Complete, ToySpace.Score(a), true));
            }
        }
        // The initial phase lasts until 20 random samples scoring >= 0 are in: the discarded ones cost queries.
        var keptPositions = proposed.Select((a, i) => (a, i)).Where(p => ToySpace.Score(p.a) >= 0).Select(p => p.i + 1).ToList();
        Assert.True(strategy.InitialProposed > 20, $"only {strategy.InitialProposed} initial samples");
        Assert.Equal(20, proposed.Take(strategy.InitialProposed).Count(a => ToySpace.Score(a) >= 0));
        Assert.Equal(keptPositions[19], strategy.InitialProposed);
    }

    [Fact]
    public void Nao_is_the_same_controller_without_pseudo_labels()
    {
        Assert.Equal(0, new NaoOptions().PseudoLabeled);
        var reports = new List<StrategyDiagnostics>();
        var nao = Drive(Tiny(pseudoLabeled: 0), seed: 3, budget: 30, reports: reports);
        Assert.Equal(30, nao.Select(a => a.ToString()).Distinct().Count());
        // No pseudo-labels, so no training after the pre-training: its last epoch is the iteration's last.
        var byIteration = Merged(reports);
        Assert.Equal([1, 2], byIteration.Keys);
        Assert.All(byIteration.Values, d => Assert.Equal((0, d["loss.pretrain_mse"]), (d["train.pseudo_labelled"], d["loss.final_mse"])));
        Assert.Equal(5, byIteration[1]["rank.scored"]);
    }

    [Fact]
    public void Pseudo_labels_come_from_the_whole_space_and_only_evaluable_architectures_are_proposed()
    {
        var space = new SlicedToySpace();
        var proposed = Drive(Tiny(pseudoLabeled: 200), seed: 3, budget: 30, space: space);

        Assert.All(proposed, a => Assert.True(space.IsValid(a, out _), $"{a} was proposed but cannot be evaluated"));
        Assert.True(space.UnlabelledDraws >= 200, $"only {space.UnlabelledDraws} draws for the pseudo-labelled pool");
    }
}
