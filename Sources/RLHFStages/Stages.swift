public enum Stages {}
