using SemiNas.Contracts;
using SemiNas.Core;

namespace SemiNas.Controller.Tests;

public class StrategyStateTests
{
    // What LegacyDrive proposed with the code of before the state header: the first 16 proposals, then the next 6 after
    // the state in LegacyStates/<strategy>.bin was saved.
    private static readonly Dictionary<string, (string First, string Next)> Legacy = new()
    {
        ["random"] = ("3 2 4 4 4|4 1 1 2 1|3 3 4 4 2|3 2 2 1 1|1 3 3 2 3|1 1 3 1 2|1 1 4 4 4|2 2 3 4 4|4 1 3 1 3|1 3 4 4 3|4 1 3 4 4|1 3 4 4 2|1 1 2 3 4|2 3 1 2 1|4 1 1 3 2|4 1 4 4 3",
            "4 3 4 2 4|1 1 2 4 2|2 2 2 3 1|3 3 2 1 1|4 1 2 3 1|3 2 4 4 2"),
        ["evolution"] = ("3 2 4 4 4|4 1 1 2 1|3 3 4 4 2|3 2 2 1 1|1 3 3 2 3|1 1 3 1 2|3 2 4 4 3|3 2 4 4 1|3 2 2 2 1|3 2 4 3 1|2 2 4 4 1|2 2 2 2 1|2 3 4 4 1|2 2 4 2 1|1 2 4 4 1|2 1 4 4 1",
            "4 2 4 4 1|1 2 4 3 1|4 2 2 4 1|3 2 1 4 1|4 2 4 4 2|4 2 3 4 1"),
        ["seminas"] = ("3 2 4 4 4|4 1 1 2 1|3 3 4 4 2|3 2 2 1 1|1 3 3 2 3|1 1 3 1 2|1 1 4 4 4|2 2 3 4 4|4 1 3 1 3|1 3 4 4 3|3 1 1 1 1|3 1 1 1 4|3 3 4 4 4|4 1 4 2 2|1 1 1 1 1|1 1 3 2 1",
            "3 2 2 4 3|2 3 2 2 4|4 2 1 2 4|4 2 3 2 3|1 1 2 1 4|2 1 3 1 2"),
    };

    private static List<Architecture> Parse(string list) => list.Split('|').Select(Architecture.Parse).ToList();

    private static SearchHistory History(IEnumerable<Architecture> proposed)
    {
        var history = new SearchHistory();
        foreach (var a in proposed)
            history.Add(new TrialView(history.Trials.Count + 1, a, a.ToString(), TrialState.Complete, LegacyDrive.Space.Score(a), true));
        return history;
    }

    [Theory]
    [InlineData("random")]
    [InlineData("evolution")]
    public void A_state_saved_before_the_header_existed_resumes_the_search_exactly(string name)
    {
        var (first, next) = Legacy[name];
        var live = LegacyDrive.Create(name);
        var history = new SearchHistory();
        Assert.Equal(Parse(first), LegacyDrive.Run(live, history, 16));

        var resumed = LegacyDrive.Create(name);
        resumed.RestoreState(File.ReadAllBytes(Path.Combine("LegacyStates", $"{name}.bin")));
        Assert.Equal(live.SaveState(), resumed.SaveState());
        Assert.Equal(Parse(next), LegacyDrive.Run(resumed, history, 6));
    }

    [Fact]
    public void A_seminas_state_saved_before_the_header_existed_restores_its_queue_and_its_controller()
    {
        var (first, next) = Legacy["seminas"];
        var history = History(Parse(first));
        using var resumed = (IDisposable)LegacyDrive.Create("seminas");
        var strategy = (ISearchStrategy)resumed;
        strategy.RestoreState(File.ReadAllBytes(Path.Combine("LegacyStates", "seminas.bin")));
        var state = strategy.SaveState();

        // The two generated architectures still queued come first; the controller's weights came back with them.
        Assert.Equal(Parse(next).Take(2), LegacyDrive.Run(strategy, history, 2));
        using var copy = (IDisposable)LegacyDrive.Create("seminas");
        ((ISearchStrategy)copy).RestoreState(state);
        Assert.Equal(state, ((ISearchStrategy)copy).SaveState());
        Assert.True(state.Length > 10_000, "the controller's weights are part of the state");
    }

    [Fact]
    public void A_seminas_state_of_format_version_1_resumes_the_search_exactly_and_its_iterations_are_numbered_on()
    {
        // LegacyStates/seminas-v1.bin: the same search as seminas.bin, saved by the code of before the diagnostics
        // (header, format version 1), after the same 16 proposals: 10 initial, iteration 1's 4, 2 of iteration 2's.
        var (first, next) = Legacy["seminas"];
        var history = History(Parse(first));
        var reports = new List<StrategyDiagnostics>();
        using var resumed = new Strategies.SemiNasStrategy(LegacyDrive.SemiNas(), LegacyDrive.Context(7, reports.Add));
        resumed.RestoreState(File.ReadAllBytes(Path.Combine("LegacyStates", "seminas-v1.bin")));
        Assert.Equal(Parse(next), LegacyDrive.Run(resumed, history, 6));
        // Version 1 did not count iterations; the next one is the third, recovered from the history. Iteration 2's
        // predictions were not saved, so its rank correlation is not known.
        Assert.Equal([3], reports.Select(r => r.Iteration).Distinct());
        Assert.DoesNotContain(reports, r => r.Values.ContainsKey("rank.kendall_tau"));

        // Saved again, the state is version 2, with the count and the pending predictions.
        using var copy = new Strategies.SemiNasStrategy(LegacyDrive.SemiNas(), LegacyDrive.Context(7, reports.Add));
        var state = resumed.SaveState();
        copy.RestoreState(state);
        Assert.Equal(state, copy.SaveState());
        var headerVersion = BitConverter.ToInt32(state, "SemiNAS strategy state\n".Length + 1 + "seminas".Length);
        Assert.Equal(2, headerVersion);
        var newer = Assert.Throws<InvalidDataException>(() => copy.RestoreState(StrategyState.Write("seminas", 3, _ => { })));
        Assert.Contains("format version 3 and this seminas reads versions 1 to 2 (it was saved by a newer seminas)", newer.Message);
    }

    [Fact]
    public void A_state_of_another_strategy_or_a_newer_format_is_refused_with_both_named()
    {
        var random = LegacyDrive.Create("random");
        var evolution = LegacyDrive.Create("evolution");
        var before = random.SaveState();

        var foreign = Assert.Throws<InvalidDataException>(() => random.RestoreState(evolution.SaveState()));
        Assert.Equal("Not a saved state of strategy 'random': it was saved by strategy 'evolution'", foreign.Message);

        var newer = StrategyState.Write("random", 2, writer => writer.Write(new byte[SeededRandom.StateSize]));
        var error = Assert.Throws<InvalidDataException>(() => random.RestoreState(newer));
        Assert.Contains("format version 2 and this seminas reads version 1 (it was saved by a newer seminas)", error.Message);
        Assert.Equal(before, random.SaveState());
    }

    [Fact]
    public void A_state_cut_short_or_with_trailing_bytes_is_refused()
    {
        var random = LegacyDrive.Create("random");
        var state = random.SaveState();
        Assert.Throws<InvalidDataException>(() => random.RestoreState(state[..^3]));
        Assert.Throws<InvalidDataException>(() => random.RestoreState([.. state, 0]));
    }
}
