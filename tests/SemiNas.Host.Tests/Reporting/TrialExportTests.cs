using System.Text.Json.Nodes;
using CsvHelper;
using SemiNas.Contracts;
using SemiNas.Host.Reporting;
using SemiNas.Storage;

namespace SemiNas.Host.Tests.Reporting;

public class TrialExportTests
{
    [Fact]
    public void A_description_and_a_failure_reason_with_commas_quotes_and_line_breaks_read_back_unchanged()
    {
        using var folder = new TempFolder();
        const string description = "cell \"A\", 3x3 conv,\nthen pool";
        const string error = "evaluation threw: shape (3, 4) != \"(4, 3)\"\n   at Task.Evaluate()\r\n   at Runner.Run()";
        IReadOnlyList<TrialRecord> trials;
        using (var store = ExperimentStore.Open(folder.File("s.sqlite")))
        {
            var experiment = store.CreateExperiment(new NewExperiment("csv", "p", "random", 5, new Objective("acc", MetricGoal.Maximize),
                "name: csv", "{}", "fp"));
            var added = store.AddTrials(experiment.Id, [
                new NewTrial(new Architecture([1, 2]), "k1", description, new Dictionary<string, double> { ["flops"] = 1.5e6 }),
                new NewTrial(new Architecture([2, 1]), "k2", "plain", new Dictionary<string, double> { ["flops"] = 2e6 }),
            ], [0]);
            store.ClaimTrial(added[0].Id, "tests", TimeSpan.FromHours(1));
            store.MarkFailed(added[0].Id, error);
            store.ClaimTrial(added[1].Id, "tests", TimeSpan.FromHours(1));
            store.MarkComplete(added[1].Id, new Dictionary<string, double> { ["acc"] = 91.25 }, 91.25, feasible: true);
            trials = store.LoadTrials(experiment.Id);
        }

        var path = folder.File("t.csv");
        using (var writer = new StreamWriter(path)) TrialExport.WriteCsv(writer, trials);

        using var csv = CsvReader.FromFile(path);
        var rows = new List<(string Description, string Error, string State, string Flops, string Acc)>();
        while (csv.Read())
            rows.Add((csv.GetString("description"), csv.GetString("error"), csv.GetString("state"), csv.GetString("flops"), csv.GetString("acc")));
        Assert.Equal([(description, error, "FAILED", "1500000", ""), ("plain", "", "COMPLETE", "2000000", "91.25")], rows);
    }

    [Fact]
    public void Intermediate_values_are_in_the_json_by_trial_and_name_and_in_their_own_csv_a_row_per_trial_step_and_name()
    {
        using var folder = new TempFolder();
        IReadOnlyList<TrialRecord> trials;
        IReadOnlyList<TrialAttempt> attempts;
        IReadOnlyList<IntermediateValue> values;
        using (var store = ExperimentStore.Open(folder.File("s.sqlite")))
        {
            var experiment = store.CreateExperiment(new NewExperiment("values", "p", "random", 5, new Objective("acc", MetricGoal.Maximize),
                "name: values", "{}", "fp"));
            var added = store.AddTrials(experiment.Id, [
                new NewTrial(new Architecture([1, 2]), "k1", "a", new Dictionary<string, double>()),
                new NewTrial(new Architecture([2, 1]), "k2", "b", new Dictionary<string, double>()),
            ], [0]);
            store.ClaimTrial(added[0].Id, "tests", TimeSpan.FromHours(1), new ClaimOptions(Device: "cuda:1"));
            store.SaveIntermediateValues(added[0].Id, [
                new StepValues(20, new Dictionary<string, double> { ["train_loss"] = 1.5 }),
                new StepValues(10, new Dictionary<string, double> { ["train_loss"] = 2.25, ["lr, warm"] = 0.1 }),
            ]);
            (trials, attempts, values) = (store.LoadTrials(experiment.Id), store.LoadAttempts(experiment.Id), store.LoadIntermediateValues(experiment.Id));
        }

        using var json = new MemoryStream();
        TrialExport.WriteJson(json, trials, attempts, values);
        var rows = JsonNode.Parse(json.ToArray())!.AsArray();
        Assert.Equal("""{"lr, warm":[{"step":10,"value":0.1}],"train_loss":[{"step":10,"value":2.25},{"step":20,"value":1.5}]}""",
            rows[0]!["intermediateValues"]!.ToJsonString());
        Assert.Equal("{}", rows[1]!["intermediateValues"]!.ToJsonString());
        Assert.Equal("cuda:1", rows[0]!["attemptLog"]![0]!["device"]!.GetValue<string>());

        var path = folder.File("values.csv");
        using (var writer = new StreamWriter(path)) TrialExport.WriteIntermediateCsv(writer, values);
        using var csv = CsvReader.FromFile(path);
        var read = new List<(string, string, string, string)>();
        while (csv.Read()) read.Add((csv.GetString("trial"), csv.GetString("step"), csv.GetString("name"), csv.GetString("value")));
        Assert.Equal([("1", "10", "lr, warm", "0.1"), ("1", "10", "train_loss", "2.25"), ("1", "20", "train_loss", "1.5")], read);
    }
}
