/// Every command, in the order `help` lists them.
enum CommandCatalog {
    static var all: [Command] {
        (EpisodeCommands.all + InspectCommands.all + BatchCommands.all + TrainCommands.all + DPOCommands.all
            + CurveCommands.all + LabelCommands.all + WorldCommands.all + SettingsCommands.all + FileCommands.all
            + LessonCommands.all + HelpCommands.all)
            .map(AlgorithmCommands.dispatching)  // set, show
    }
}
