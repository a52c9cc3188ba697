import RLHFStages
public enum Simulator {}
