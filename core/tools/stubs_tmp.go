package tools

func runConsoleProducer(e *env, args []string) int { return 1 }
func runConsoleConsumer(e *env, args []string) int { return 1 }
func runDumpLog(e *env, args []string) int         { return 1 }
func runProducerPerf(e *env, args []string) int    { return 1 }
func runConsumerPerf(e *env, args []string) int    { return 1 }
