import MCUSimCommands

MCUSimCommand.entry()
