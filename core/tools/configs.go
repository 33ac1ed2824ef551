package tools

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/gokafka/kafka/core/admin"
	"github.com/gokafka/kafka/core/quota"
	"github.com/gokafka/kafka/zkutil"
)

// kafka-configs.sh (Kafka 2.8 ConfigCommand): describe and alter the
// dynamic configs of topics and brokers through a broker
// (--bootstrap-server: DescribeConfigs, IncrementalAlterConfigs for topics,
// AlterConfigs for brokers) or any entity directly in ZooKeeper
// (--zookeeper, deprecated in 2.8 but working).

const configsHelp = "This tool helps to manipulate and describe entity config for a topic, client, user, broker or ip"

// brokerDefaultEntity is the entity name of cluster-wide broker defaults.
const brokerDefaultEntity = "<default>"

func configsParser() *optionParser {
	p := newOptionParser()
	p.withArg("zookeeper", "DEPRECATED. The connection string for the zookeeper connection in the form host:port. Multiple URLS can be given to allow fail-over. Replaced by --bootstrap-server, REQUIRED unless --bootstrap-server is given.").describedAs("urls")
	p.withArg("bootstrap-server", "The Kafka server to connect to. This is required for describing and altering broker configs.").describedAs("server to connect to")
	p.withArg("command-config", "Property file containing configs to be passed to Admin Client. This is used only with --bootstrap-server option for describing and altering broker configs.").describedAs("command config property file")
	p.flag("alter", "Alter the configuration for the entity.")
	p.flag("describe", "List configs for the given entity.")
	p.flag("all", "List all configs for the given topic, broker, or broker-logger entity (includes static configuration when the entity type is brokers)")
	p.withArg("entity-type", "Type of entity (topics/clients/users/brokers/broker-loggers/ips)").describedAs("entity-type")
	p.withArg("entity-name", "Name of entity (topic name/client id/user principal name/broker id/ip)").describedAs("entity-name")
	p.flag("entity-default", "Default entity name for clients/users/brokers/ips (applies to corresponding entity type in command line)")
	p.withArg("add-config", "Key Value pairs of configs to add. Square brackets can be used to group values which contain commas: 'k1=v1,k2=[v1,v2,v2],k3=v3'. The following is a list of valid configurations: For entity-type 'topics': \n\t"+
		strings.Join(topicConfigNames(), "\n\t")+
		"\nFor entity-type 'users': \n\t"+strings.Join(userConfigNames, "\n\t")+
		"\nFor entity-type 'clients': \n\t"+strings.Join(userConfigNames[2:], "\n\t")+
		"\nFor entity-type 'ips': \n\t"+quota.IPConnectionRate+
		"\nEntity types 'users' and 'clients' may be specified together to update config for clients of a specific user.").describedAs("add-config")
	p.withArg("add-config-file", "Path to a properties file with configs to add. See add-config for a list of valid configurations.").describedAs("add-config-file")
	p.withArg("delete-config", "config keys to remove 'k1,k2'").describedAs("delete-config")
	p.flag("force", "Suppress console prompts")
	p.withArg("topic", "The topic's name.").describedAs("topic")
	p.withArg("client", "The client's ID.").describedAs("client-id")
	p.flag("client-defaults", "The config defaults for all clients.")
	p.withArg("user", "The user's principal name.").describedAs("user-principal")
	p.flag("user-defaults", "The config defaults for all users.")
	p.withArg("broker", "The broker's ID.").describedAs("broker-id")
	p.flag("broker-defaults", "The config defaults for all brokers.")
	p.withArg("broker-logger", "The broker's ID for its logger config.").describedAs("broker-id")
	p.withArg("ip", "The IP address.").describedAs("ip")
	p.flag("ip-defaults", "The config defaults for all IPs.")
	return p
}

// configEntityFlags map the specific entity flags to their entity type.
var configEntityFlags = []struct{ flag, typ string }{
	{"topic", "topics"}, {"client", "clients"}, {"user", "users"}, {"broker", "brokers"}, {"broker-logger", "broker-loggers"}, {"ip", "ips"},
}

var configDefaultFlags = []struct{ flag, typ string }{
	{"client-defaults", "clients"}, {"user-defaults", "users"}, {"broker-defaults", "brokers"}, {"ip-defaults", "ips"},
}

// configOptions is ConfigCommandOptions.
type configOptions struct {
	*optionSet
	args []string
}

func (o configOptions) entityTypes() []string {
	out := append([]string(nil), o.valuesOf("entity-type")...)
	for _, f := range configEntityFlags {
		if o.has(f.flag) {
			out = append(out, f.typ)
		}
	}
	for _, f := range configDefaultFlags {
		if o.has(f.flag) {
			out = append(out, f.typ)
		}
	}
	return out
}

// entityNames pairs with entityTypes; "" stands for the default entity.
// --entity-name and --entity-default count in command-line order, so that
// "--entity-type users --entity-default --entity-type clients
// --entity-name c" pairs the default with users.
func (o configOptions) entityNames() []string {
	out := o.orderedEntityNames()
	for _, f := range configEntityFlags {
		if o.has(f.flag) {
			out = append(out, o.valueOf(f.flag))
		}
	}
	for _, f := range configDefaultFlags {
		if o.has(f.flag) {
			out = append(out, "")
		}
	}
	return out
}

// orderedEntityNames lists --entity-name values and --entity-default ("")
// in the order they were given.
func (o configOptions) orderedEntityNames() []string {
	if o.args == nil {
		out := append([]string(nil), o.valuesOf("entity-name")...)
		if o.has("entity-default") {
			out = append(out, "")
		}
		return out
	}
	var out []string
	for i := 0; i < len(o.args); i++ {
		tok := o.args[i]
		if tok == "--" {
			break
		}
		if !strings.HasPrefix(tok, "-") {
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(tok, "-"), "-")
		value, hasValue := "", false
		if eq := strings.IndexByte(name, '='); eq >= 0 {
			name, value, hasValue = name[:eq], name[eq+1:], true
		}
		spec := o.parser.specs[name]
		if spec == nil {
			continue
		}
		if spec.kind == requiredArg && !hasValue && i+1 < len(o.args) {
			i++
			value = o.args[i]
		}
		switch name {
		case "entity-name":
			out = append(out, value)
		case "entity-default":
			out = append(out, "")
		}
	}
	return out
}

// checkConfigArgs is ConfigCommandOptions.checkArgs.
func (e *env) checkConfigArgs(p *optionParser, o configOptions) {
	n := 0
	for _, a := range []string{"alter", "describe"} {
		if o.has(a) {
			n++
		}
	}
	if n != 1 {
		e.printUsageAndDie(p, "Command must include exactly one action: --describe, --alter")
	}
	e.checkInvalidArgs(p, o.optionSet, "alter", "describe")
	e.checkInvalidArgs(p, o.optionSet, "describe", "alter", "add-config", "delete-config")
	types := o.entityTypes()
	seen := map[string]bool{}
	var dups []string
	for _, t := range types {
		if seen[t] {
			dups = append(dups, t)
		}
		seen[t] = true
	}
	if len(dups) > 0 {
		fail("Duplicate entity type(s) specified: %s", strings.Join(dups, ","))
	}
	allowed, connect := []string{"topics", "clients", "users", "brokers", "ips", "broker-loggers"}, "--bootstrap-server"
	if !o.has("bootstrap-server") {
		allowed, connect = []string{"topics", "clients", "users", "brokers", "ips"}, "--zookeeper"
	}
	for _, t := range types {
		if !contains(allowed, t) {
			fail("Invalid entity type %s, the entity type must be one of %s with the %s argument", t, strings.Join(allowed, ", "), connect)
		}
	}
	if len(types) == 0 {
		fail("At least one entity type must be specified")
	}
	if len(types) > 1 && !(len(types) == 2 && seen["users"] && seen["clients"]) {
		fail("Only 'users' and 'clients' entity types may be specified together")
	}
	specific := false
	for _, f := range configEntityFlags {
		specific = specific || o.has(f.flag)
	}
	for _, f := range configDefaultFlags {
		specific = specific || o.has(f.flag)
	}
	if (o.has("entity-name") || o.has("entity-type") || o.has("entity-default")) && specific {
		fail("--entity-{type,name,default} should not be used in conjunction with specific entity flags")
	}
	names := o.entityNames()
	hasName, hasDefault := false, false
	for _, n := range names {
		hasName = hasName || n != ""
		hasDefault = hasDefault || n == ""
	}
	switch {
	case !o.has("bootstrap-server") && !o.has("zookeeper"):
		fail("One of the required --bootstrap-server or --zookeeper arguments must be specified")
	case o.has("bootstrap-server") && o.has("zookeeper"):
		fail("Only one of --bootstrap-server or --zookeeper must be specified")
	}
	if o.has("all") && o.has("zookeeper") {
		fail("--bootstrap-server must be specified for --all")
	}
	if hasName && (seen["brokers"] || seen["broker-loggers"]) {
		for _, f := range []string{"entity-name", "broker", "broker-logger"} {
			if o.has(f) {
				if _, err := strconv.ParseInt(o.valueOf(f), 10, 32); err != nil {
					fail("The entity name for %s must be a valid integer broker id, but it is: %s", types[0], o.valueOf(f))
				}
			}
		}
	}
	if o.has("describe") && seen["broker-loggers"] && !hasName {
		fail("an entity name must be specified with --describe of %s", strings.Join(types, ","))
	}
	if o.has("alter") {
		if seen["users"] || seen["clients"] || seen["brokers"] || seen["ips"] {
			if !hasName && !hasDefault {
				fail("An entity-name or default entity must be specified with --alter of users, clients, brokers or ips")
			}
		} else if !hasName {
			fail("an entity name must be specified with --alter of %s", strings.Join(types, ","))
		}
		if o.has("add-config") && o.has("add-config-file") {
			fail("Only one of --add-config or --add-config-file must be specified")
		}
		if !o.has("add-config") && !o.has("add-config-file") && !o.has("delete-config") {
			fail("At least one of --add-config, --add-config-file, or --delete-config must be specified with --alter")
		}
	}
}

// fail raises the IllegalArgumentException ConfigCommand prints as its
// message alone.
func fail(format string, a ...any) { panic(illegalArgument(format, a...)) }

func runConfigs(e *env, args []string) int {
	return runGuarded(func() int {
		p := configsParser()
		o, err := p.parse(args)
		if err != nil {
			fmt.Fprintln(e.stderr, err.Error())
			return 1
		}
		e.printHelpAndExitIfNeeded(p, o, configsHelp)
		opts := configOptions{o, args}
		if err := catchIllegal(func() { e.checkConfigArgs(p, opts) }); err != nil {
			fmt.Fprintln(e.stderr, err.Error())
			return 1
		}
		err = catchIllegal(func() {
			var runErr error
			if o.has("zookeeper") {
				fmt.Fprintln(e.stdout, "Warning: --zookeeper is deprecated and will be removed in a future version of Kafka.")
				fmt.Fprintln(e.stdout, "Use --bootstrap-server instead to specify a broker to connect to.")
				runErr = e.configsWithZk(opts)
			} else {
				runErr = e.configsWithAdmin(opts)
			}
			if runErr != nil {
				panic(runErr)
			}
		})
		if err != nil {
			return e.configCommandError(opts, err)
		}
		return 0
	})
}

// catchIllegal turns a panic carrying an error into a returned error,
// leaving exit codes to runGuarded.
func catchIllegal(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
				return
			}
			panic(r)
		}
	}()
	f()
	return nil
}

// configCommandError prints like ConfigCommand.main's handlers: argument
// and config errors as their message; anything else as an error line and
// the exception.
func (e *env) configCommandError(o configOptions, err error) int {
	var je *javaError
	if errors.As(err, &je) && (je.class == "java.lang.IllegalArgumentException" || je.class == "org.apache.kafka.common.errors.InvalidConfigurationException") {
		fmt.Fprintln(e.stderr, je.msg)
		return 1
	}
	fmt.Fprintf(e.stderr, "Error while executing config command with args '%s'\n", strings.Join(o.args, " "))
	var ke *kafkaError
	if errors.As(err, &ke) {
		fmt.Fprintf(e.stderr, "java.util.concurrent.ExecutionException: %s: %s\n", javaClassOf(err), ke.msg)
	} else {
		fmt.Fprintf(e.stderr, "%s: %s\n", javaClassOf(err), javaMessage(err))
	}
	return 1
}

func invalidConfig(format string, a ...any) error {
	return &javaError{"org.apache.kafka.common.errors.InvalidConfigurationException", fmt.Sprintf(format, a...)}
}

// parseConfigsToBeAdded splits --add-config "k1=v1,k2=[a,b]" (commas and
// '=' inside brackets do not split; brackets are dropped from values) and
// merges --add-config-file.
func parseConfigsToBeAdded(o configOptions) (map[string]string, []string, error) {
	props := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := props[k]; !ok {
			order = append(order, k)
		}
		props[k] = v
	}
	if o.has("add-config-file") {
		file, err := loadProps(o.valueOf("add-config-file"))
		if err != nil {
			return nil, nil, err
		}
		keys := make([]string, 0, len(file))
		for k := range file {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(k, file[k])
		}
	}
	if o.has("add-config") {
		for _, pair := range splitOutsideBrackets(o.valueOf("add-config"), ',') {
			kv := splitOutsideBrackets(pair, '=')
			if len(kv) != 2 {
				return nil, nil, illegalArgument("requirement failed: Invalid entity config: all configs to be added must be in the format \"key=val\".")
			}
			v := strings.NewReplacer("[", "", "]", "").Replace(kv[1])
			set(strings.TrimSpace(kv[0]), strings.TrimSpace(v))
		}
	}
	return props, order, nil
}

// splitOutsideBrackets splits s at sep where it is not inside [...].
func splitOutsideBrackets(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			if depth > 0 {
				depth--
			}
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func parseConfigsToBeDeleted(o configOptions) []string {
	var out []string
	for _, v := range o.valuesOf("delete-config") {
		for _, k := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(k))
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// --bootstrap-server

type configsAdmin struct {
	e       *env
	cl      *kgo.Client
	timeout time.Duration
}

func (e *env) configsWithAdmin(o configOptions) error {
	props := map[string]string{}
	if o.has("command-config") {
		p, err := loadProps(o.valueOf("command-config"))
		if err != nil {
			return err
		}
		props = p
	}
	props["bootstrap.servers"] = o.valueOf("bootstrap-server")
	cl, timeout, err := newAdminClient(e, props)
	if err != nil {
		return err
	}
	defer cl.Close()
	a := &configsAdmin{e: e, cl: cl, timeout: timeout}
	types, names := o.entityTypes(), o.entityNames()
	if o.has("alter") && len(types) != len(names) {
		return illegalArgument("An entity name must be specified for every entity type")
	}
	typ := types[0]
	switch typ {
	case "topics", "brokers", "broker-loggers":
	case "users", "clients", "ips":
		if o.has("alter") {
			return a.alterQuotaEntity(o, types, names)
		}
		return a.describeQuotaEntity(types, names)
	default:
		return illegalArgument("Entity type %s is not supported with --bootstrap-server by this version", typ)
	}
	if o.has("alter") {
		return a.alter(o, typ, names[0])
	}
	var name *string
	if len(names) > 0 {
		name = &names[0]
	}
	return a.describe(typ, name, o.has("all"))
}

func (a *configsAdmin) request(call string, req kmsg.Request) (kmsg.Response, error) {
	ctx, cancel := withTimeout(a.timeout)
	defer cancel()
	return adminRequest(ctx, a.cl, call, req)
}

// describe is describeResourceConfig: one block per entity, dynamic
// entries only unless --all.
func (a *configsAdmin) describe(typ string, name *string, all bool) error {
	var entities []string
	if name != nil {
		entities = []string{*name}
	} else {
		var err error
		if entities, err = a.allEntities(typ); err != nil {
			return err
		}
	}
	for _, entity := range entities {
		if entity == "" {
			fmt.Fprintf(a.e.stdout, "Default configs for %s in the cluster are:\n", typ)
		} else {
			kind := "Dynamic"
			if all {
				kind = "All"
			}
			fmt.Fprintf(a.e.stdout, "%s configs for %s %s are:\n", kind, strings.TrimSuffix(typ, "s"), entity)
		}
		entries, err := a.resourceConfig(typ, entity, true, all)
		if err != nil {
			return err
		}
		for _, c := range entries {
			syns := make([]string, len(c.ConfigSynonyms))
			for i, s := range c.ConfigSynonyms {
				syns[i] = fmt.Sprintf("%s:%s=%s", s.Source, s.Name, strOrNull(s.Value))
			}
			fmt.Fprintf(a.e.stdout, "  %s=%s sensitive=%t synonyms={%s}\n", c.Name, strOrNull(c.Value), c.IsSensitive, strings.Join(syns, ", "))
		}
	}
	return nil
}

func strOrNull(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// allEntities lists every topic (internal ones included), or every broker
// id followed by the cluster default ("").
func (a *configsAdmin) allEntities(typ string) ([]string, error) {
	req := kmsg.NewPtrMetadataRequest()
	resp, err := a.request("listTopics", req)
	if err != nil {
		return nil, err
	}
	md := resp.(*kmsg.MetadataResponse)
	var out []string
	if typ == "topics" {
		for _, t := range md.Topics {
			if t.Topic != nil {
				out = append(out, *t.Topic)
			}
		}
		sort.Strings(out)
		return out, nil
	}
	for _, b := range md.Brokers {
		out = append(out, strconv.Itoa(int(b.NodeID)))
	}
	return append(out, ""), nil // the cluster default
}

// resourceConfig is getResourceConfig: DescribeConfigs for one entity,
// keeping only the entity's own dynamic source unless all.
func (a *configsAdmin) resourceConfig(typ, name string, synonyms, all bool) ([]kmsg.DescribeConfigsResponseResourceConfig, error) {
	var rtype kmsg.ConfigResourceType
	var source kmsg.ConfigSource
	filter := !all
	switch typ {
	case "topics":
		if name != "" {
			if err := admin.ValidateTopicName(name); err != nil {
				return nil, &javaError{"org.apache.kafka.common.errors.InvalidTopicException", err.Error()}
			}
		}
		rtype, source = kmsg.ConfigResourceTypeTopic, kmsg.ConfigSourceDynamicTopicConfig
	case "brokers":
		rtype, source = kmsg.ConfigResourceTypeBroker, kmsg.ConfigSourceDynamicBrokerConfig
		if name == "" {
			source = kmsg.ConfigSourceDynamicDefaultBrokerConfig
		} else if _, err := strconv.Atoi(name); err != nil {
			return nil, illegalArgument("The entity name for %s must be a valid integer broker id, found: %s", typ, name)
		}
	case "broker-loggers":
		rtype, filter = kmsg.ConfigResourceTypeBrokerLogger, false
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	r := kmsg.NewDescribeConfigsRequestResource()
	r.ResourceType, r.ResourceName = rtype, name
	req.Resources = append(req.Resources, r)
	req.IncludeSynonyms = synonyms
	resp, err := a.request("describeConfigs", req)
	if err != nil {
		return nil, err
	}
	res := resp.(*kmsg.DescribeConfigsResponse).Resources
	if len(res) != 1 {
		return nil, fmt.Errorf("no result for %s", name)
	}
	if err := brokerError(res[0].ErrorCode, res[0].ErrorMessage); err != nil {
		return nil, err
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, c := range res[0].Configs {
		if filter && c.Source != source {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// alter is alterConfig: topics through IncrementalAlterConfigs (SET and
// DELETE), brokers through AlterConfigs with the full dynamic set.
func (a *configsAdmin) alter(o configOptions, typ, name string) error {
	add, order, err := parseConfigsToBeAdded(o)
	if err != nil {
		return err
	}
	if _, ok := add["message.format.version"]; ok {
		fmt.Fprintf(a.e.stdout, "WARNING: The configuration message.format.version=%s is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker.\n", add["message.format.version"])
	}
	del := parseConfigsToBeDeleted(o)
	if typ == "broker-loggers" {
		return illegalArgument("Altering broker-loggers is not supported by this version")
	}
	old, err := a.resourceConfig(typ, name, false, false)
	if err != nil {
		return err
	}
	oldMap := map[string]*string{}
	for _, c := range old {
		oldMap[c.Name] = c.Value
	}
	var invalid []string
	for _, k := range del {
		if _, ok := oldMap[k]; !ok {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return invalidConfig("Invalid config(s): %s", strings.Join(invalid, ","))
	}
	if typ == "topics" {
		err = a.incrementalAlterTopic(name, add, order, del)
	} else {
		err = a.alterBroker(name, oldMap, add, del)
	}
	if err != nil {
		return err
	}
	if name != "" {
		fmt.Fprintf(a.e.stdout, "Completed updating config for %s %s.\n", strings.TrimSuffix(typ, "s"), name)
	} else {
		fmt.Fprintf(a.e.stdout, "Completed updating default config for %s in the cluster.\n", typ)
	}
	return nil
}

func (a *configsAdmin) incrementalAlterTopic(name string, add map[string]string, order, del []string) error {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	r := kmsg.NewIncrementalAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, name
	for _, k := range order {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		v := add[k]
		c.Name, c.Op, c.Value = k, kmsg.IncrementalAlterConfigOpSet, &v
		r.Configs = append(r.Configs, c)
	}
	for _, k := range del {
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		empty := ""
		c.Name, c.Op, c.Value = k, kmsg.IncrementalAlterConfigOpDelete, &empty
		r.Configs = append(r.Configs, c)
	}
	req.Resources = append(req.Resources, r)
	resp, err := a.request("incrementalAlterConfigs", req)
	if err != nil {
		return err
	}
	for _, res := range resp.(*kmsg.IncrementalAlterConfigsResponse).Resources {
		if err := brokerError(res.ErrorCode, res.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

func (a *configsAdmin) alterBroker(name string, old map[string]*string, add map[string]string, del []string) error {
	entries := map[string]*string{}
	for k, v := range old {
		entries[k] = v
	}
	for k, v := range add {
		v := v
		entries[k] = &v
	}
	for _, k := range del {
		delete(entries, k)
	}
	var sensitive []string
	for k, v := range entries {
		if v == nil {
			sensitive = append(sensitive, k)
		}
	}
	if len(sensitive) > 0 {
		sort.Strings(sensitive)
		return invalidConfig("All sensitive broker config entries must be specified for --alter, missing entries: Set(%s)", strings.Join(sensitive, ", "))
	}
	req := kmsg.NewPtrAlterConfigsRequest()
	r := kmsg.NewAlterConfigsRequestResource()
	r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBroker, name
	keys := make([]string, 0, len(entries))
	for k := range entries {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := kmsg.NewAlterConfigsRequestResourceConfig()
		c.Name, c.Value = k, entries[k]
		r.Configs = append(r.Configs, c)
	}
	req.Resources = append(req.Resources, r)
	resp, err := a.request("alterConfigs", req)
	if err != nil {
		return err
	}
	for _, res := range resp.(*kmsg.AlterConfigsResponse).Resources {
		if err := brokerError(res.ErrorCode, res.ErrorMessage); err != nil {
			return err
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// --zookeeper

// configEntityText is ConfigEntity's toString ("topic 't'", "default brokers").
func configEntityText(typ, name string) string {
	kind := map[string]string{"users": "user-principal", "clients": "client-id", "topics": "topic"}[typ]
	if kind == "" {
		kind = typ
	}
	if name == "" {
		return "default " + kind
	}
	return fmt.Sprintf("%s '%s'", kind, name)
}

func (e *env) configsWithZk(o configOptions) error {
	zk, err := zkutil.Connect(o.valueOf("zookeeper"), topicCommandZkTimeout, topicCommandZkTimeout, zkutil.WithName("ConfigCommand"))
	if err != nil {
		return err
	}
	defer zk.Close()
	typ := o.entityTypes()[0]
	names := o.entityNames()
	if typ == "users" || typ == "clients" {
		return e.quotaEntityWithZk(zk, o)
	}
	if o.has("alter") {
		return e.alterWithZk(zk, o, typ, zkEntityName(names[0]))
	}
	var entities []string
	if len(names) > 0 {
		entities = []string{zkEntityName(names[0])}
	} else if entities, err = zk.GetAllEntitiesWithConfig(typ); err != nil {
		return err
	}
	for _, name := range entities {
		cfg, err := zk.GetEntityConfig(typ, name)
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(cfg))
		for k := range cfg {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + cfg[k]
		}
		display := name
		if name == brokerDefaultEntity {
			display = ""
		}
		fmt.Fprintf(e.stdout, "Configs for %s are %s\n", configEntityText(typ, display), strings.Join(parts, ","))
	}
	return nil
}

// zkEntityName maps the default entity ("") to its znode name.
func zkEntityName(name string) string {
	if name == "" {
		return brokerDefaultEntity
	}
	return name
}

func (e *env) alterWithZk(zk *zkutil.Client, o configOptions, typ, name string) error {
	add, _, err := parseConfigsToBeAdded(o)
	if err != nil {
		return err
	}
	if _, ok := add["message.format.version"]; ok {
		fmt.Fprintf(e.stdout, "WARNING: The configuration message.format.version=%s is specified. This configuration will be ignored if the version is newer than the inter.broker.protocol.version specified in the broker.\n", add["message.format.version"])
	}
	del := parseConfigsToBeDeleted(o)
	cfg, err := zk.GetEntityConfig(typ, name)
	if err != nil {
		return err
	}
	var invalid []string
	for _, k := range del {
		if _, ok := cfg[k]; !ok {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		return invalidConfig("Invalid config(s): %s", strings.Join(invalid, ","))
	}
	for k, v := range add {
		cfg[k] = v
	}
	for _, k := range del {
		delete(cfg, k)
	}
	if typ == "topics" {
		for k, v := range cfg {
			if err := validateTopicConfig(k, v); err != nil {
				return err
			}
		}
		if err := admin.ChangeTopicConfig(zk, name, cfg); err != nil {
			return adminErr(err)
		}
	} else {
		if err := zk.SetOrCreateEntityConfig(typ, name, cfg); err != nil {
			return err
		}
		if err := zk.CreateConfigChangeNotification(typ + "/" + name); err != nil {
			return err
		}
	}
	display := name
	if name == brokerDefaultEntity {
		display = ""
	}
	fmt.Fprintf(e.stdout, "Completed updating config for entity: %s.\n", configEntityText(typ, display))
	return nil
}
