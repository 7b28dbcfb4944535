// Node-API glue of the built-in model: `modelLayout(config)` and `createModel(config, params)`.
// A model is a plain object whose methods close over a shared handle; the handle keeps a
// reference to the caller's Float32Array of parameters (borrowed, never copied), and every
// session keeps the handle alive. C++ failures become JS errors with a stable `code`.
#include <napi.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "../engine.h"
#include "../napi_errors.h"
#include "model.h"

namespace dsa {
namespace model {
namespace {

[[noreturn]] void fail(const char* code, const std::string& msg) { throw EngineError(code, msg); }


Napi::Object asObject(const Napi::Value& v, const char* what) {
  if (!v.IsObject()) fail("E_OPTION", std::string(what) + " must be an object");
  return v.As<Napi::Object>();
}

double getNum(const Napi::Object& o, const char* key, bool required, double def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) fail("E_OPTION", std::string(key) + " is required");
    return def;
  }
  if (!v.IsNumber()) fail("E_OPTION", std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) fail("E_OPTION", std::string(key) + " must be finite");
  return d;
}

int64_t getInt(const Napi::Object& o, const char* key, bool required, int64_t def, int64_t lo, int64_t hi) {
  const double d = getNum(o, key, required, (double)def);
  if (d != std::floor(d) || d < (double)lo || d > (double)hi)
    fail("E_OPTION", std::string(key) + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return (int64_t)d;
}

bool getBool(const Napi::Object& o, const char* key, bool def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsBoolean()) fail("E_OPTION", std::string(key) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string getStr(const Napi::Object& o, const char* key, const std::string& def) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) return def;
  if (!v.IsString()) fail("E_OPTION", std::string(key) + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

template <class T>
T typed(const Napi::Object& o, const char* key, bool required, size_t length) {
  Napi::Value v = o.Get(key);
  if (v.IsUndefined() || v.IsNull()) {
    if (required) fail("E_OPTION", std::string(key) + " is required");
    return T();
  }
  if (!v.IsTypedArray()) fail("E_DTYPE", std::string(key) + " must be a typed array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  const napi_typedarray_type want = std::is_same<T, Napi::Int32Array>::value ? napi_int32_array : napi_float32_array;
  if (ta.TypedArrayType() != want)
    fail("E_DTYPE", std::string(key) + (want == napi_int32_array ? " must be an Int32Array" : " must be a Float32Array"));
  if (length != (size_t)-1 && ta.ElementLength() != length)
    fail("E_SHAPE", std::string(key) + " has " + std::to_string(ta.ElementLength()) + " elements, expected " +
                        std::to_string(length));
  return v.As<T>();
}

Config parseConfig(const Napi::Value& v) {
  Napi::Object o = asObject(v, "config");
  Config c;
  auto gi = [&](const char* k, int& dst, int64_t lo = 1, int64_t hi = 1 << 20) { dst = (int)getInt(o, k, true, 0, lo, hi); };
  gi("vocab_size", c.V, 260);
  gi("hidden_size", c.d);
  gi("num_hidden_layers", c.layers, 1, 256);
  gi("num_attention_heads", c.H, 1, 1024);
  gi("q_lora_rank", c.rq);
  gi("kv_lora_rank", c.rkv);
  gi("qk_nope_head_dim", c.dn);
  gi("qk_rope_head_dim", c.dr);
  gi("v_head_dim", c.dv);
  gi("intermediate_size", c.I);
  gi("index_n_heads", c.nI, 1, 1024);
  gi("index_head_dim", c.dI);
  gi("index_rope_head_dim", c.drI);
  gi("index_topk", c.topk);
  gi("max_position_embeddings", c.maxPos);
  c.theta = (float)getNum(o, "rope_theta", true, 0);
  c.eps = (float)getNum(o, "rms_norm_eps", true, 0);
  c.initRange = (float)getNum(o, "initializer_range", false, 0.02);
  c.lognBase = (int)getInt(o, "logn_attention_base", false, 0, 0, 1 << 24);
  if (c.dr % 2 != 0) fail("E_OPTION", "qk_rope_head_dim must be even");
  if (c.drI % 2 != 0 || c.drI > c.dI) fail("E_OPTION", "index_rope_head_dim must be even and ≤ index_head_dim");
  if (!(c.theta > 0) || !(c.eps > 0)) fail("E_OPTION", "rope_theta and rms_norm_eps must be > 0");
  return c;
}

Napi::Array layoutToJs(Napi::Env env, const Layout& lay) {
  Napi::Array arr = Napi::Array::New(env, lay.tensors.size());
  for (size_t i = 0; i < lay.tensors.size(); i++) {
    const TensorInfo& t = lay.tensors[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", t.name);
    Napi::Array shape = Napi::Array::New(env, t.shape.size());
    for (size_t j = 0; j < t.shape.size(); j++) shape.Set((uint32_t)j, Napi::Number::New(env, (double)t.shape[j]));
    o.Set("shape", shape);
    o.Set("offset", Napi::Number::New(env, (double)t.offset));
    o.Set("size", Napi::Number::New(env, (double)t.size));
    o.Set("group", t.indexer ? "indexer" : "main");
    arr.Set((uint32_t)i, o);
  }
  return arr;
}

struct Handle {
  Config c;
  Layout lay;
  Napi::Reference<Napi::Float32Array> paramsRef;
  Napi::FunctionReference sessionClass;  // SessionWrap's constructor, made once per model
  float* params = nullptr;
};

int threadsOf(const Napi::Object& o) { return (int)getInt(o, "threads", false, 1, 1, 256); }

Stage stageOf(const std::string& s) {
  if (s == "pretrain") return Stage::Pretrain;
  if (s == "warmup") return Stage::Warmup;
  if (s == "sparse") return Stage::Sparse;
  fail("E_OPTION", "stage must be \"pretrain\", \"warmup\" or \"sparse\", got \"" + s + "\"");
}

bool attentionOf(const Napi::Object& o) {
  const std::string a = getStr(o, "attention", "dense");
  if (a != "dense" && a != "sparse") fail("E_OPTION", "attention must be \"dense\" or \"sparse\", got \"" + a + "\"");
  return a == "sparse";
}

// Checks tokens (and targets) against the vocabulary; returns B·L.
void checkTokens(const Config& c, const int32_t* tok, size_t n, bool allowPad, const char* what) {
  for (size_t i = 0; i < n; i++)
    if (tok[i] >= c.V || (!allowPad && tok[i] < 0) || tok[i] < -1)
      fail("E_INDEX", std::string(what) + "[" + std::to_string(i) + "] = " + std::to_string(tok[i]) +
                          " outside the vocabulary 0.." + std::to_string(c.V - 1) + (allowPad ? " (or -1)" : ""));
}

// Over the whole process (every worker thread shares the addon), for `sessionStats()` and
// the leak tests: sessions not yet closed, sessions not yet destroyed (a closed one lives on
// until the GC collects its JS object, but holds no memory), and the bytes they hold.
std::atomic<int64_t> gOpenSessions{0}, gLiveSessions{0}, gSessionBytes{0};

// An inference session as JS holds it: one object of a class made once per model, its
// methods on the prototype. (A plain object with its own five native closures cost ~5.6 KB
// of native memory per session, kept until a full GC, after the session was closed.)
//
// The session's memory (KV caches, activations: ~18 MB for a 1.6K-token prompt) lives outside
// the V8 heap. close() frees it at once; and V8 is told about it as external memory, since
// otherwise a session dropped without close() is never a reason to collect garbage and a
// process that makes many of them grows by gigabytes before a collection happens to run.
class SessionWrap : public Napi::ObjectWrap<SessionWrap> {
 public:
  // What model.session(options) checked, handed to the constructor (which must not throw).
  struct Init {
    std::shared_ptr<Handle> h;
    int64_t maxLen, topk;
    bool sparse, capture;
    int threads;
  };

  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeSession", {
      InstanceMethod<&SessionWrap::Forward>("forward"),
      InstanceMethod<&SessionWrap::Truncate>("truncate"),
      InstanceMethod<&SessionWrap::Close>("close"),
      InstanceMethod<&SessionWrap::CapturedJs>("captured"),
      InstanceAccessor<&SessionWrap::Length>("length"),
    });
  }

  explicit SessionWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SessionWrap>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      Napi::Error e = Napi::TypeError::New(info.Env(), "sessions are made by model.session(options)");
      e.Value().Set("code", "E_OPTION");
      throw e;
    }
    const Init& in = *info[0].As<Napi::External<Init>>().Data();
    h_ = in.h;
    s_ = std::make_unique<Session>(h_->c, h_->params, in.maxLen, in.sparse, in.topk, in.threads);
    s_->setCapture(in.capture);
    gOpenSessions++;
    gLiveSessions++;
  }

  ~SessionWrap() override {
    if (s_) gOpenSessions--;
    gLiveSessions--;
    gSessionBytes -= reported_;
  }

  // Collected without close(): free the memory and tell V8.
  void Finalize(Napi::Env env) override { release(env); }

 private:
  Session& open() {
    if (!s_) fail("E_OPTION", "session is closed");
    return *s_;
  }

  // Brings V8's external-memory count in line with what the session holds now.
  void account(Napi::Env env) {
    const int64_t now = s_ ? s_->bytes() : 0;
    if (now == reported_) return;
    Napi::MemoryManagement::AdjustExternalMemory(env, now - reported_);
    gSessionBytes += now - reported_;
    reported_ = now;
  }

  void release(Napi::Env env) {
    if (s_) {
      s_.reset();
      gOpenSessions--;
    }
    account(env);
  }

  Napi::Value Forward(const Napi::CallbackInfo& info) {
    return guarded(info, [&](Napi::Env env) -> Napi::Value {
      Session& s = open();
      if (info.Length() < 1) fail("E_OPTION", "forward(tokens) needs an Int32Array");
      Napi::Object holder = Napi::Object::New(env);
      holder.Set("tokens", info[0]);
      Napi::Int32Array t = typed<Napi::Int32Array>(holder, "tokens", true, (size_t)-1);
      Napi::Float32Array out = Napi::Float32Array::New(env, h_->c.V);
      try {
        s.forward(t.Data(), (int64_t)t.ElementLength(), out.Data());
      } catch (...) {
        account(env);  // a failed forward may still have grown the caches
        throw;
      }
      account(env);
      return out;
    });
  }

  Napi::Value Truncate(const Napi::CallbackInfo& info) {
    return guarded(info, [&](Napi::Env env) -> Napi::Value {
      Session& s = open();
      if (info.Length() < 1 || !info[0].IsNumber()) fail("E_OPTION", "truncate(n) needs a number");
      const double n = info[0].As<Napi::Number>().DoubleValue();
      if (n != std::floor(n)) fail("E_OPTION", "truncate(n) needs an integer");
      s.truncate((int64_t)n);
      return env.Undefined();
    });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    return guarded(info, [&](Napi::Env env) -> Napi::Value {
      release(env);
      return env.Undefined();
    });
  }

  Napi::Value Length(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), s_ ? (double)s_->length() : 0.0);
  }

  Napi::Value CapturedJs(const Napi::CallbackInfo& info) {
    return guarded(info, [&](Napi::Env env) -> Napi::Value {
      const Session& s = open();
      const Config& c = h_->c;
      if (info.Length() < 1 || !info[0].IsNumber()) fail("E_OPTION", "captured(layer) needs a layer number");
      const double ld = info[0].As<Napi::Number>().DoubleValue();
      if (ld != std::floor(ld) || ld < 0 || ld >= c.layers)
        fail("E_OPTION", "layer must be an integer in 0.." + std::to_string(c.layers - 1));
      const int layer = (int)ld;
      const Session::Captured& cp = s.captured(layer);
      if (cp.T == 0) fail("E_OPTION", "nothing captured: create the session with capture: true and call forward first");
      const int64_t L = cp.qStart + cp.T;
      auto copy = [&](const float* p, size_t n) {
        Napi::Float32Array a = Napi::Float32Array::New(env, n);
        std::copy(p, p + n, a.Data());
        return a;
      };
      Napi::Object r = Napi::Object::New(env);
      r.Set("T", Napi::Number::New(env, (double)cp.T));
      r.Set("L", Napi::Number::New(env, (double)L));
      r.Set("qStart", Napi::Number::New(env, (double)cp.qStart));
      r.Set("H", c.H);
      r.Set("D", c.Dqk());
      r.Set("dv", c.rkv);
      r.Set("HI", c.nI);
      r.Set("DI", c.dI);
      r.Set("scale", c.scale());
      r.Set("q", copy(cp.q.data(), cp.q.size()));
      r.Set("kv", copy(s.kvCache(layer).data(), (size_t)(L * c.Dqk())));
      r.Set("qI", copy(cp.iq.data(), cp.iq.size()));
      r.Set("kI", copy(s.indexKeys(layer).data(), (size_t)(L * c.dI)));
      r.Set("w", copy(cp.iw.data(), cp.iw.size()));
      return r;
    });
  }

  std::shared_ptr<Handle> h_;  // keeps the parameters alive
  std::unique_ptr<Session> s_;  // null once closed
  int64_t reported_ = 0;        // bytes V8 has been told about
};

Napi::Value makeSession(Napi::Env env, std::shared_ptr<Handle> h, const Napi::Object& o) {
  SessionWrap::Init in;
  in.maxLen = getInt(o, "maxLength", true, 0, 1, h->c.maxPos);
  in.sparse = attentionOf(o);
  in.topk = getInt(o, "topk", false, h->c.topk, 1, 1 << 24);
  in.threads = threadsOf(o);
  in.capture = getBool(o, "capture", false);
  in.h = h;
  return h->sessionClass.New({Napi::External<SessionWrap::Init>::New(env, &in)});
}

Napi::Value ModelLayout(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    return layoutToJs(env, makeLayout(parseConfig(info[0])));
  });
}

Napi::Value CreateModel(const Napi::CallbackInfo& info) {
  return guarded(info, [&](Napi::Env env) -> Napi::Value {
    auto h = std::make_shared<Handle>();
    h->c = parseConfig(info[0]);
    h->lay = makeLayout(h->c);
    Napi::Object holder = Napi::Object::New(env);
    holder.Set("params", info[1]);
    Napi::Float32Array params = typed<Napi::Float32Array>(holder, "params", true, (size_t)-1);
    if ((int64_t)params.ElementLength() != h->lay.total)
      fail("E_SHAPE", "params has " + std::to_string(params.ElementLength()) + " floats but the config needs " +
                          std::to_string(h->lay.total));
    h->paramsRef = Napi::Persistent(params);
    h->sessionClass = Napi::Persistent(SessionWrap::Define(env));
    h->params = params.Data();
    const size_t P = (size_t)h->lay.total;
    Napi::Object m = Napi::Object::New(env);

    m.Set("initParams", Napi::Function::New(env, [h](const Napi::CallbackInfo& info) {
      return guarded(info, [&](Napi::Env env) -> Napi::Value {
        if (info.Length() < 1 || !info[0].IsNumber()) fail("E_OPTION", "initParams(seed) needs a number");
        const double seed = info[0].As<Napi::Number>().DoubleValue();
        if (seed < 0 || seed != std::floor(seed)) fail("E_OPTION", "seed must be a non-negative integer");
        initParams(h->c, h->lay, h->params, (uint64_t)seed);
        return env.Undefined();
      });
    }, "initParams"));

    m.Set("lossAndGrad", Napi::Function::New(env, [h, P](const Napi::CallbackInfo& info) {
      return guarded(info, [&](Napi::Env env) -> Napi::Value {
        Napi::Object o = asObject(info[0], "lossAndGrad options");
        const int64_t B = getInt(o, "batch", true, 0, 1, 1 << 16), L = getInt(o, "length", true, 0, 1, h->c.maxPos);
        const size_t n = (size_t)(B * L);
        Napi::Int32Array tokens = typed<Napi::Int32Array>(o, "tokens", true, n);
        Napi::Int32Array targets = typed<Napi::Int32Array>(o, "targets", true, n);
        Napi::Float32Array weights = typed<Napi::Float32Array>(o, "weights", false, n);
        Napi::Float32Array grad = typed<Napi::Float32Array>(o, "grad", true, P);
        checkTokens(h->c, tokens.Data(), n, true, "tokens");
        checkTokens(h->c, targets.Data(), n, true, "targets");
        BatchArgs a;
        a.tokens = tokens.Data(); a.targets = targets.Data(); a.weights = weights.IsEmpty() ? nullptr : weights.Data();
        a.B = B; a.L = L; a.stage = stageOf(getStr(o, "stage", "pretrain"));
        a.topk = getInt(o, "topk", false, h->c.topk, 1, 1 << 24);
        a.threads = threadsOf(o);
        const LossResult r = forwardBackward(h->c, h->lay, h->params, a, grad.Data(), nullptr);
        Napi::Object res = Napi::Object::New(env);
        res.Set("loss", r.loss);
        res.Set("lmLoss", r.lm);
        res.Set("klLoss", r.kl);
        res.Set("targetTokens", Napi::Number::New(env, (double)r.targetTokens));
        return res;
      });
    }, "lossAndGrad"));

    m.Set("adamw", Napi::Function::New(env, [h, P](const Napi::CallbackInfo& info) {
      return guarded(info, [&](Napi::Env env) -> Napi::Value {
        Napi::Object o = asObject(info[0], "adamw options");
        Napi::Float32Array g = typed<Napi::Float32Array>(o, "grad", true, P);
        Napi::Float32Array m1 = typed<Napi::Float32Array>(o, "m", true, P);
        Napi::Float32Array v1 = typed<Napi::Float32Array>(o, "v", true, P);
        AdamArgs a;
        a.params = h->params; a.grad = g.Data(); a.m = m1.Data(); a.v = v1.Data();
        a.step = getInt(o, "step", true, 1, 1, (int64_t)1 << 40);
        a.lr = getNum(o, "lr", true, 0);
        a.beta1 = getNum(o, "beta1", false, 0.9);
        a.beta2 = getNum(o, "beta2", false, 0.95);
        a.eps = getNum(o, "eps", false, 1e-8);
        a.wd = getNum(o, "weightDecay", false, 0);
        a.clip = getNum(o, "clip", false, 0);
        const std::string grp = getStr(o, "group", "all");
        if (grp != "main" && grp != "indexer" && grp != "all") fail("E_OPTION", "group must be main, indexer or all");
        a.group = grp == "main" ? 0 : grp == "indexer" ? 1 : 2;
        if (a.lr < 0 || a.beta1 < 0 || a.beta1 >= 1 || a.beta2 < 0 || a.beta2 >= 1 || a.eps <= 0 || a.clip < 0)
          fail("E_OPTION", "adamw: need lr ≥ 0, 0 ≤ beta < 1, eps > 0, clip ≥ 0");
        Napi::Object res = Napi::Object::New(env);
        res.Set("gradNorm", adamw(h->lay, a));
        return res;
      });
    }, "adamw"));

    m.Set("logits", Napi::Function::New(env, [h](const Napi::CallbackInfo& info) {
      return guarded(info, [&](Napi::Env env) -> Napi::Value {
        Napi::Object o = asObject(info[0], "logits options");
        const int64_t B = getInt(o, "batch", true, 0, 1, 1 << 16), L = getInt(o, "length", true, 0, 1, h->c.maxPos);
        const size_t n = (size_t)(B * L);
        Napi::Int32Array tokens = typed<Napi::Int32Array>(o, "tokens", true, n);
        checkTokens(h->c, tokens.Data(), n, true, "tokens");
        BatchArgs a;
        a.tokens = tokens.Data(); a.B = B; a.L = L; a.stage = Stage::Eval; a.sparse = attentionOf(o);
        a.topk = getInt(o, "topk", false, h->c.topk, 1, 1 << 24);
        a.threads = threadsOf(o);
        Napi::Float32Array out = Napi::Float32Array::New(env, n * (size_t)h->c.V);
        forwardBackward(h->c, h->lay, h->params, a, nullptr, out.Data());
        return out;
      });
    }, "logits"));

    m.Set("session", Napi::Function::New(env, [h](const Napi::CallbackInfo& info) {
      return guarded(info, [&](Napi::Env env) -> Napi::Value {
        return makeSession(env, h, asObject(info[0], "session options"));
      });
    }, "session"));
    return m;
  });
}

// {open, live, bytes}: see gOpenSessions.
Napi::Value SessionStats(const Napi::CallbackInfo& info) {
  Napi::Object r = Napi::Object::New(info.Env());
  r.Set("open", Napi::Number::New(info.Env(), (double)gOpenSessions.load()));
  r.Set("live", Napi::Number::New(info.Env(), (double)gLiveSessions.load()));
  r.Set("bytes", Napi::Number::New(info.Env(), (double)gSessionBytes.load()));
  return r;
}

}  // namespace

void registerModelBindings(Napi::Env env, Napi::Object exports) {
  exports.Set("sessionStats", Napi::Function::New(env, SessionStats, "sessionStats"));
  exports.Set("modelLayout", Napi::Function::New(env, ModelLayout, "modelLayout"));
  exports.Set("createModel", Napi::Function::New(env, CreateModel, "createModel"));
}

}  // namespace model
}  // namespace dsa
