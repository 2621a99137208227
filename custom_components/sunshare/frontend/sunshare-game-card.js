// sunshare-game-card ada18cbe2ca7d67caf1d88b26fd37df00b88d925156b5f5ad7abd0570a8d4988 (sources sha256)
// Built from frontend/src by scripts/build_frontend: do not edit.
var je=Object.defineProperty;var ze=(r,e,t)=>e in r?je(r,e,{enumerable:!0,configurable:!0,writable:!0,value:t}):r[e]=t;var S=(r,e,t)=>ze(r,typeof e!="symbol"?e+"":e,t);var B=globalThis,W=B.ShadowRoot&&(B.ShadyCSS===void 0||B.ShadyCSS.nativeShadow)&&"adoptedStyleSheets"in Document.prototype&&"replace"in CSSStyleSheet.prototype,J=Symbol(),ce=new WeakMap,M=class{constructor(e,t,s){if(this._$cssResult$=!0,s!==J)throw Error("CSSResult is not constructable. Use `unsafeCSS` or `css` instead.");this.cssText=e,this.t=t}get styleSheet(){let e=this.o,t=this.t;if(W&&e===void 0){let s=t!==void 0&&t.length===1;s&&(e=ce.get(t)),e===void 0&&((this.o=e=new CSSStyleSheet).replaceSync(this.cssText),s&&ce.set(t,e))}return e}toString(){return this.cssText}},de=r=>new M(typeof r=="string"?r:r+"",void 0,J),R=(r,...e)=>{let t=r.length===1?r[0]:e.reduce((s,i,n)=>s+(o=>{if(o._$cssResult$===!0)return o.cssText;if(typeof o=="number")return o;throw Error("Value passed to 'css' function must be a 'css' function result: "+o+". Use 'unsafeCSS' to pass non-literal values, but take care to ensure page security.")})(i)+r[n+1],r[0]);return new M(t,r,J)},he=(r,e)=>{if(W)r.adoptedStyleSheets=e.map(t=>t instanceof CSSStyleSheet?t:t.styleSheet);else for(let t of e){let s=document.createElement("style"),i=B.litNonce;i!==void 0&&s.setAttribute("nonce",i),s.textContent=t.cssText,r.appendChild(s)}},Z=W?r=>r:r=>r instanceof CSSStyleSheet?(e=>{let t="";for(let s of e.cssRules)t+=s.cssText;return de(t)})(r):r;var{is:De,defineProperty:Ie,getOwnPropertyDescriptor:Be,getOwnPropertyNames:We,getOwnPropertySymbols:qe,getPrototypeOf:Ke}=Object,q=globalThis,ue=q.trustedTypes,Fe=ue?ue.emptyScript:"",Ve=q.reactiveElementPolyfillSupport,T=(r,e)=>r,X={toAttribute(r,e){switch(e){case Boolean:r=r?Fe:null;break;case Object:case Array:r=r==null?r:JSON.stringify(r)}return r},fromAttribute(r,e){let t=r;switch(e){case Boolean:t=r!==null;break;case Number:t=r===null?null:Number(r);break;case Object:case Array:try{t=JSON.parse(r)}catch{t=null}}return t}},_e=(r,e)=>!De(r,e),pe={attribute:!0,type:String,converter:X,reflect:!1,useDefault:!1,hasChanged:_e};Symbol.metadata??=Symbol("metadata"),q.litPropertyMetadata??=new WeakMap;var y=class extends HTMLElement{static addInitializer(e){this._$Ei(),(this.l??=[]).push(e)}static get observedAttributes(){return this.finalize(),this._$Eh&&[...this._$Eh.keys()]}static createProperty(e,t=pe){if(t.state&&(t.attribute=!1),this._$Ei(),this.prototype.hasOwnProperty(e)&&((t=Object.create(t)).wrapped=!0),this.elementProperties.set(e,t),!t.noAccessor){let s=Symbol(),i=this.getPropertyDescriptor(e,s,t);i!==void 0&&Ie(this.prototype,e,i)}}static getPropertyDescriptor(e,t,s){let{get:i,set:n}=Be(this.prototype,e)??{get(){return this[t]},set(o){this[t]=o}};return{get:i,set(o){let l=i?.call(this);n?.call(this,o),this.requestUpdate(e,l,s)},configurable:!0,enumerable:!0}}static getPropertyOptions(e){return this.elementProperties.get(e)??pe}static _$Ei(){if(this.hasOwnProperty(T("elementProperties")))return;let e=Ke(this);e.finalize(),e.l!==void 0&&(this.l=[...e.l]),this.elementProperties=new Map(e.elementProperties)}static finalize(){if(this.hasOwnProperty(T("finalized")))return;if(this.finalized=!0,this._$Ei(),this.hasOwnProperty(T("properties"))){let t=this.properties,s=[...We(t),...qe(t)];for(let i of s)this.createProperty(i,t[i])}let e=this[Symbol.metadata];if(e!==null){let t=litPropertyMetadata.get(e);if(t!==void 0)for(let[s,i]of t)this.elementProperties.set(s,i)}this._$Eh=new Map;for(let[t,s]of this.elementProperties){let i=this._$Eu(t,s);i!==void 0&&this._$Eh.set(i,t)}this.elementStyles=this.finalizeStyles(this.styles)}static finalizeStyles(e){let t=[];if(Array.isArray(e)){let s=new Set(e.flat(1/0).reverse());for(let i of s)t.unshift(Z(i))}else e!==void 0&&t.push(Z(e));return t}static _$Eu(e,t){let s=t.attribute;return s===!1?void 0:typeof s=="string"?s:typeof e=="string"?e.toLowerCase():void 0}constructor(){super(),this._$Ep=void 0,this.isUpdatePending=!1,this.hasUpdated=!1,this._$Em=null,this._$Ev()}_$Ev(){this._$ES=new Promise(e=>this.enableUpdating=e),this._$AL=new Map,this._$E_(),this.requestUpdate(),this.constructor.l?.forEach(e=>e(this))}addController(e){(this._$EO??=new Set).add(e),this.renderRoot!==void 0&&this.isConnected&&e.hostConnected?.()}removeController(e){this._$EO?.delete(e)}_$E_(){let e=new Map,t=this.constructor.elementProperties;for(let s of t.keys())this.hasOwnProperty(s)&&(e.set(s,this[s]),delete this[s]);e.size>0&&(this._$Ep=e)}createRenderRoot(){let e=this.shadowRoot??this.attachShadow(this.constructor.shadowRootOptions);return he(e,this.constructor.elementStyles),e}connectedCallback(){this.renderRoot??=this.createRenderRoot(),this.enableUpdating(!0),this._$EO?.forEach(e=>e.hostConnected?.())}enableUpdating(e){}disconnectedCallback(){this._$EO?.forEach(e=>e.hostDisconnected?.())}attributeChangedCallback(e,t,s){this._$AK(e,s)}_$ET(e,t){let s=this.constructor.elementProperties.get(e),i=this.constructor._$Eu(e,s);if(i!==void 0&&s.reflect===!0){let n=(s.converter?.toAttribute!==void 0?s.converter:X).toAttribute(t,s.type);this._$Em=e,n==null?this.removeAttribute(i):this.setAttribute(i,n),this._$Em=null}}_$AK(e,t){let s=this.constructor,i=s._$Eh.get(e);if(i!==void 0&&this._$Em!==i){let n=s.getPropertyOptions(i),o=typeof n.converter=="function"?{fromAttribute:n.converter}:n.converter?.fromAttribute!==void 0?n.converter:X;this._$Em=i;let l=o.fromAttribute(t,n.type);this[i]=l??this._$Ej?.get(i)??l,this._$Em=null}}requestUpdate(e,t,s,i=!1,n){if(e!==void 0){let o=this.constructor;if(i===!1&&(n=this[e]),s??=o.getPropertyOptions(e),!((s.hasChanged??_e)(n,t)||s.useDefault&&s.reflect&&n===this._$Ej?.get(e)&&!this.hasAttribute(o._$Eu(e,s))))return;this.C(e,t,s)}this.isUpdatePending===!1&&(this._$ES=this._$EP())}C(e,t,{useDefault:s,reflect:i,wrapped:n},o){s&&!(this._$Ej??=new Map).has(e)&&(this._$Ej.set(e,o??t??this[e]),n!==!0||o!==void 0)||(this._$AL.has(e)||(this.hasUpdated||s||(t=void 0),this._$AL.set(e,t)),i===!0&&this._$Em!==e&&(this._$Eq??=new Set).add(e))}async _$EP(){this.isUpdatePending=!0;try{await this._$ES}catch(t){Promise.reject(t)}let e=this.scheduleUpdate();return e!=null&&await e,!this.isUpdatePending}scheduleUpdate(){return this.performUpdate()}performUpdate(){if(!this.isUpdatePending)return;if(!this.hasUpdated){if(this.renderRoot??=this.createRenderRoot(),this._$Ep){for(let[i,n]of this._$Ep)this[i]=n;this._$Ep=void 0}let s=this.constructor.elementProperties;if(s.size>0)for(let[i,n]of s){let{wrapped:o}=n,l=this[i];o!==!0||this._$AL.has(i)||l===void 0||this.C(i,void 0,n,l)}}let e=!1,t=this._$AL;try{e=this.shouldUpdate(t),e?(this.willUpdate(t),this._$EO?.forEach(s=>s.hostUpdate?.()),this.update(t)):this._$EM()}catch(s){throw e=!1,this._$EM(),s}e&&this._$AE(t)}willUpdate(e){}_$AE(e){this._$EO?.forEach(t=>t.hostUpdated?.()),this.hasUpdated||(this.hasUpdated=!0,this.firstUpdated(e)),this.updated(e)}_$EM(){this._$AL=new Map,this.isUpdatePending=!1}get updateComplete(){return this.getUpdateComplete()}getUpdateComplete(){return this._$ES}shouldUpdate(e){return!0}update(e){this._$Eq&&=this._$Eq.forEach(t=>this._$ET(t,this[t])),this._$EM()}updated(e){}firstUpdated(e){}};y.elementStyles=[],y.shadowRootOptions={mode:"open"},y[T("elementProperties")]=new Map,y[T("finalized")]=new Map,Ve?.({ReactiveElement:y}),(q.reactiveElementVersions??=[]).push("2.1.2");var ne=globalThis,me=r=>r,K=ne.trustedTypes,fe=K?K.createPolicy("lit-html",{createHTML:r=>r}):void 0,xe="$lit$",$=`lit$${Math.random().toFixed(9).slice(2)}$`,Ae="?"+$,Ge=`<${Ae}>`,A=document,L=()=>A.createComment(""),O=r=>r===null||typeof r!="object"&&typeof r!="function",re=Array.isArray,Je=r=>re(r)||typeof r?.[Symbol.iterator]=="function",Q=`[ 	
\f\r]`,U=/<(?:(!--|\/[^a-zA-Z])|(\/?[a-zA-Z][^>\s]*)|(\/?$))/g,ge=/-->/g,ye=/>/g,b=RegExp(`>|${Q}(?:([^\\s"'>=/]+)(${Q}*=${Q}*(?:[^ 	
\f\r"'\`<>=]|("|')|))|$)`,"g"),$e=/'/g,ve=/"/g,ke=/^(?:script|style|textarea|title)$/i,oe=r=>(e,...t)=>({_$litType$:r,strings:e,values:t}),_=oe(1),Se=oe(2),ct=oe(3),k=Symbol.for("lit-noChange"),d=Symbol.for("lit-nothing"),be=new WeakMap,x=A.createTreeWalker(A,129);function we(r,e){if(!re(r)||!r.hasOwnProperty("raw"))throw Error("invalid template strings array");return fe!==void 0?fe.createHTML(e):e}var Ze=(r,e)=>{let t=r.length-1,s=[],i,n=e===2?"<svg>":e===3?"<math>":"",o=U;for(let l=0;l<t;l++){let a=r[l],c,p,h=-1,m=0;for(;m<a.length&&(o.lastIndex=m,p=o.exec(a),p!==null);)m=o.lastIndex,o===U?p[1]==="!--"?o=ge:p[1]!==void 0?o=ye:p[2]!==void 0?(ke.test(p[2])&&(i=RegExp("</"+p[2],"g")),o=b):p[3]!==void 0&&(o=b):o===b?p[0]===">"?(o=i??U,h=-1):p[1]===void 0?h=-2:(h=o.lastIndex-p[2].length,c=p[1],o=p[3]===void 0?b:p[3]==='"'?ve:$e):o===ve||o===$e?o=b:o===ge||o===ye?o=U:(o=b,i=void 0);let u=o===b&&r[l+1].startsWith("/>")?" ":"";n+=o===U?a+Ge:h>=0?(s.push(c),a.slice(0,h)+xe+a.slice(h)+$+u):a+$+(h===-2?l:u)}return[we(r,n+(r[t]||"<?>")+(e===2?"</svg>":e===3?"</math>":"")),s]},H=class r{constructor({strings:e,_$litType$:t},s){let i;this.parts=[];let n=0,o=0,l=e.length-1,a=this.parts,[c,p]=Ze(e,t);if(this.el=r.createElement(c,s),x.currentNode=this.el.content,t===2||t===3){let h=this.el.content.firstChild;h.replaceWith(...h.childNodes)}for(;(i=x.nextNode())!==null&&a.length<l;){if(i.nodeType===1){if(i.hasAttributes())for(let h of i.getAttributeNames())if(h.endsWith(xe)){let m=p[o++],u=i.getAttribute(h).split($),f=/([.?@])?(.*)/.exec(m);a.push({type:1,index:n,name:f[2],strings:u,ctor:f[1]==="."?ee:f[1]==="?"?te:f[1]==="@"?se:E}),i.removeAttribute(h)}else h.startsWith($)&&(a.push({type:6,index:n}),i.removeAttribute(h));if(ke.test(i.tagName)){let h=i.textContent.split($),m=h.length-1;if(m>0){i.textContent=K?K.emptyScript:"";for(let u=0;u<m;u++)i.append(h[u],L()),x.nextNode(),a.push({type:2,index:++n});i.append(h[m],L())}}}else if(i.nodeType===8)if(i.data===Ae)a.push({type:2,index:n});else{let h=-1;for(;(h=i.data.indexOf($,h+1))!==-1;)a.push({type:7,index:n}),h+=$.length-1}n++}}static createElement(e,t){let s=A.createElement("template");return s.innerHTML=e,s}};function w(r,e,t=r,s){if(e===k)return e;let i=s!==void 0?t._$Co?.[s]:t._$Cl,n=O(e)?void 0:e._$litDirective$;return i?.constructor!==n&&(i?._$AO?.(!1),n===void 0?i=void 0:(i=new n(r),i._$AT(r,t,s)),s!==void 0?(t._$Co??=[])[s]=i:t._$Cl=i),i!==void 0&&(e=w(r,i._$AS(r,e.values),i,s)),e}var Y=class{constructor(e,t){this._$AV=[],this._$AN=void 0,this._$AD=e,this._$AM=t}get parentNode(){return this._$AM.parentNode}get _$AU(){return this._$AM._$AU}u(e){let{el:{content:t},parts:s}=this._$AD,i=(e?.creationScope??A).importNode(t,!0);x.currentNode=i;let n=x.nextNode(),o=0,l=0,a=s[0];for(;a!==void 0;){if(o===a.index){let c;a.type===2?c=new j(n,n.nextSibling,this,e):a.type===1?c=new a.ctor(n,a.name,a.strings,this,e):a.type===6&&(c=new ie(n,this,e)),this._$AV.push(c),a=s[++l]}o!==a?.index&&(n=x.nextNode(),o++)}return x.currentNode=A,i}p(e){let t=0;for(let s of this._$AV)s!==void 0&&(s.strings!==void 0?(s._$AI(e,s,t),t+=s.strings.length-2):s._$AI(e[t])),t++}},j=class r{get _$AU(){return this._$AM?._$AU??this._$Cv}constructor(e,t,s,i){this.type=2,this._$AH=d,this._$AN=void 0,this._$AA=e,this._$AB=t,this._$AM=s,this.options=i,this._$Cv=i?.isConnected??!0}get parentNode(){let e=this._$AA.parentNode,t=this._$AM;return t!==void 0&&e?.nodeType===11&&(e=t.parentNode),e}get startNode(){return this._$AA}get endNode(){return this._$AB}_$AI(e,t=this){e=w(this,e,t),O(e)?e===d||e==null||e===""?(this._$AH!==d&&this._$AR(),this._$AH=d):e!==this._$AH&&e!==k&&this._(e):e._$litType$!==void 0?this.$(e):e.nodeType!==void 0?this.T(e):Je(e)?this.k(e):this._(e)}O(e){return this._$AA.parentNode.insertBefore(e,this._$AB)}T(e){this._$AH!==e&&(this._$AR(),this._$AH=this.O(e))}_(e){this._$AH!==d&&O(this._$AH)?this._$AA.nextSibling.data=e:this.T(A.createTextNode(e)),this._$AH=e}$(e){let{values:t,_$litType$:s}=e,i=typeof s=="number"?this._$AC(e):(s.el===void 0&&(s.el=H.createElement(we(s.h,s.h[0]),this.options)),s);if(this._$AH?._$AD===i)this._$AH.p(t);else{let n=new Y(i,this),o=n.u(this.options);n.p(t),this.T(o),this._$AH=n}}_$AC(e){let t=be.get(e.strings);return t===void 0&&be.set(e.strings,t=new H(e)),t}k(e){re(this._$AH)||(this._$AH=[],this._$AR());let t=this._$AH,s,i=0;for(let n of e)i===t.length?t.push(s=new r(this.O(L()),this.O(L()),this,this.options)):s=t[i],s._$AI(n),i++;i<t.length&&(this._$AR(s&&s._$AB.nextSibling,i),t.length=i)}_$AR(e=this._$AA.nextSibling,t){for(this._$AP?.(!1,!0,t);e!==this._$AB;){let s=me(e).nextSibling;me(e).remove(),e=s}}setConnected(e){this._$AM===void 0&&(this._$Cv=e,this._$AP?.(e))}},E=class{get tagName(){return this.element.tagName}get _$AU(){return this._$AM._$AU}constructor(e,t,s,i,n){this.type=1,this._$AH=d,this._$AN=void 0,this.element=e,this.name=t,this._$AM=i,this.options=n,s.length>2||s[0]!==""||s[1]!==""?(this._$AH=Array(s.length-1).fill(new String),this.strings=s):this._$AH=d}_$AI(e,t=this,s,i){let n=this.strings,o=!1;if(n===void 0)e=w(this,e,t,0),o=!O(e)||e!==this._$AH&&e!==k,o&&(this._$AH=e);else{let l=e,a,c;for(e=n[0],a=0;a<n.length-1;a++)c=w(this,l[s+a],t,a),c===k&&(c=this._$AH[a]),o||=!O(c)||c!==this._$AH[a],c===d?e=d:e!==d&&(e+=(c??"")+n[a+1]),this._$AH[a]=c}o&&!i&&this.j(e)}j(e){e===d?this.element.removeAttribute(this.name):this.element.setAttribute(this.name,e??"")}},ee=class extends E{constructor(){super(...arguments),this.type=3}j(e){this.element[this.name]=e===d?void 0:e}},te=class extends E{constructor(){super(...arguments),this.type=4}j(e){this.element.toggleAttribute(this.name,!!e&&e!==d)}},se=class extends E{constructor(e,t,s,i,n){super(e,t,s,i,n),this.type=5}_$AI(e,t=this){if((e=w(this,e,t,0)??d)===k)return;let s=this._$AH,i=e===d&&s!==d||e.capture!==s.capture||e.once!==s.once||e.passive!==s.passive,n=e!==d&&(s===d||i);i&&this.element.removeEventListener(this.name,this,s),n&&this.element.addEventListener(this.name,this,e),this._$AH=e}handleEvent(e){typeof this._$AH=="function"?this._$AH.call(this.options?.host??this.element,e):this._$AH.handleEvent(e)}},ie=class{constructor(e,t,s){this.element=e,this.type=6,this._$AN=void 0,this._$AM=t,this.options=s}get _$AU(){return this._$AM._$AU}_$AI(e){w(this,e)}};var Xe=ne.litHtmlPolyfillSupport;Xe?.(H,j),(ne.litHtmlVersions??=[]).push("3.3.3");var Ee=(r,e,t)=>{let s=t?.renderBefore??e,i=s._$litPart$;if(i===void 0){let n=t?.renderBefore??null;s._$litPart$=i=new j(e.insertBefore(L(),n),n,void 0,t??{})}return i._$AI(r),i};var ae=globalThis,g=class extends y{constructor(){super(...arguments),this.renderOptions={host:this},this._$Do=void 0}createRenderRoot(){let e=super.createRenderRoot();return this.renderOptions.renderBefore??=e.firstChild,e}update(e){let t=this.render();this.hasUpdated||(this.renderOptions.isConnected=this.isConnected),super.update(e),this._$Do=Ee(t,this.renderRoot,this.renderOptions)}connectedCallback(){super.connectedCallback(),this._$Do?.setConnected(!0)}disconnectedCallback(){super.disconnectedCallback(),this._$Do?.setConnected(!1)}render(){return k}};g._$litElement$=!0,g.finalized=!0,ae.litElementHydrateSupport?.({LitElement:g});var Qe=ae.litElementPolyfillSupport;Qe?.({LitElement:g});(ae.litElementVersions??=[]).push("4.2.2");var Ne=["piggy_bank","self_consumption","sobriety","actions","shedding"],Ce={en:{title:"Sunshare game",season_score:"Season score",points:"pts",rank_in_team:"Rank in team",team_rank:"Team rank",of:"of",podium:"Team podium",you:"you",piggy_bank_balance:"Piggy bank this month",next_peak:"Next peak",peak_in_progress:"Peak in progress",ends_in:"ends in",starts_in:"in",no_peak:"No peak in the coming days",relay_ready:"Relay ready to shed",relay_shedding:"Relay shedding",relay_unavailable:"Relay unavailable",relay_none:"No load-shedding relay",declare:"Declare",action:"Action to declare",choose_action:"Choose an action\u2026",no_entry:"No Sunshare game link found: add one in Settings \u2192 Devices & services.",unavailable:"The game server could not be reached; the figures are the last known.",no_team:"No team yet",challenges:{piggy_bank:"Piggy bank",self_consumption:"Self-consumption",sobriety:"Sobriety",actions:"Actions",shedding:"Load shedding"},units:{d:"d",h:"h",min:"min",s:"s"},editor:{entry:"Game link",relay:"Load-shedding relay (optional)",title:"Title (optional)"},dashboard:{title:"Sunshare",linky:"Linky",power:"Power",import_today:"Imported today",export_today:"Exported today",relay_buzzer:"Relay and buzzer",peaks:"Peaks"}},fr:{title:"Jeu Sunshare",season_score:"Score de la saison",points:"pts",rank_in_team:"Rang dans l'\xE9quipe",team_rank:"Rang de l'\xE9quipe",of:"sur",podium:"Podium de l'\xE9quipe",you:"vous",piggy_bank_balance:"Tirelire du mois",next_peak:"Prochaine pointe",peak_in_progress:"Pointe en cours",ends_in:"fin dans",starts_in:"dans",no_peak:"Aucune pointe dans les jours \xE0 venir",relay_ready:"Relais pr\xEAt \xE0 d\xE9lester",relay_shedding:"Relais en d\xE9lestage",relay_unavailable:"Relais indisponible",relay_none:"Pas de relais de d\xE9lestage",declare:"D\xE9clarer",action:"Action \xE0 d\xE9clarer",choose_action:"Choisir une action\u2026",no_entry:"Aucun lien de jeu Sunshare : ajoutez-en un dans Param\xE8tres \u2192 Appareils et services.",unavailable:"Le serveur de jeu est injoignable ; les chiffres sont les derniers connus.",no_team:"Pas encore d'\xE9quipe",challenges:{piggy_bank:"Tirelire",self_consumption:"Autoconsommation",sobriety:"Sobri\xE9t\xE9",actions:"Actions",shedding:"D\xE9lestage"},units:{d:"j",h:"h",min:"min",s:"s"},editor:{entry:"Lien de jeu",relay:"Relais de d\xE9lestage (facultatif)",title:"Titre (facultatif)"},dashboard:{title:"Sunshare",linky:"Linky",power:"Puissance",import_today:"Soutir\xE9 aujourd'hui",export_today:"Inject\xE9 aujourd'hui",relay_buzzer:"Relais et buzzer",peaks:"Pointes"}}};function D(r){return String(r?.locale?.language||r?.language||"en").toLowerCase().startsWith("fr")?"fr":"en"}function v(r){return Ce[r]||Ce.en}function I(r,e){return r==null||Number.isNaN(Number(r))?"\u2014":new Intl.NumberFormat(e==="fr"?"fr-FR":"en-GB",{maximumFractionDigits:1}).format(Number(r))}function le(r,e,t){let s=Number(r);if(r==null||r===""||!Number.isFinite(s))return"\u2014";let i=Number(e);return e==null||!Number.isFinite(i)||i<s?String(s):`${s} ${v(t).of} ${i}`}function Me(r){let e=n=>Math.round(Number(n.points||0)*100),t=(r||[]).map((n,o)=>({member:n,index:o})).sort((n,o)=>e(o.member)-e(n.member)||n.index-o.index).map(({member:n})=>n),s=0,i=null;return t.map((n,o)=>((i===null||e(n)!==i)&&(s=o+1,i=e(n)),{...n,place:s}))}var z=[10,20,50,100,200,500,1e3,2e3,5e3,1e4];function Re(r){if(r==null||r==="")return null;let e=Number(r);if(!Number.isFinite(e))return null;let t=Math.abs(e),s=z.find(n=>t<=n)||Math.ceil(t/z[z.length-1])*z[z.length-1],i=(e+s)/(2*s);return{value:e,min:-s,max:s,position:Math.min(1,Math.max(0,i)),severity:e>0?"positive":e<0?"negative":"neutral"}}function Pe(r,e){let t=v(e).units,s=Math.max(0,Math.floor(r)),i=Math.floor(s/86400),n=Math.floor(s%86400/3600),o=Math.floor(s%3600/60),l=s%60,a=c=>String(c).padStart(2,"0");return i>0?`${i} ${t.d} ${n} ${t.h}`:n>0?`${n} ${t.h} ${a(o)} ${t.min}`:`${o} ${t.min} ${a(l)} ${t.s}`}function Te(r,e,t="en"){if(!r||!r.start||!r.end)return{status:"none",text:""};let s=e instanceof Date?e.getTime():Number(e),i=Date.parse(r.start),n=Date.parse(r.end);if(Number.isNaN(i)||Number.isNaN(n))return{status:"none",text:""};let o=v(t);if(s<i){let l=Math.round((i-s)/1e3);return{status:"upcoming",seconds:l,text:`${o.starts_in} ${Pe(l,t)}`}}if(s<n){let l=Math.round((n-s)/1e3);return{status:"active",seconds:l,text:`${o.ends_in} ${Pe(l,t)}`}}return{status:"over",seconds:0,text:""}}function Ue(r){return r?r.state==="off"?"ready":r.state==="on"?"shedding":"unavailable":"none"}function Le(r){return Object.values(r?.entities||{}).filter(e=>e.platform==="sunshare"&&!e.hidden)}function Ye(r,e){return(e.device_id?r.devices?.[e.device_id]:void 0)?.config_entries||[]}function C(r){let e=new Map;for(let t of Le(r)){let s=t.translation_key||"";if(!s.startsWith("game_"))continue;let i=Ye(r,t)[0];if(i){if(!e.has(i)){let n=r.devices?.[t.device_id];e.set(i,{entry_id:i,name:n?.name_by_user||n?.name||i,entities:{}})}e.get(i).entities[s.slice(5)]=t.entity_id}}return[...e.values()]}function F(r,e){let t=C(r);return e?.entry_id?t.find(s=>s.entry_id===e.entry_id)||null:t[0]||null}function V(r,e,t){return Le(r).filter(s=>s.translation_key===e&&(!t||s.entity_id.startsWith(`${t}.`))).map(s=>s.entity_id).sort()}function Oe(r,e){return e?.relay_entity?e.relay_entity:V(r,"load_shedding","switch")[0]||null}var et=["linky_index_base","linky_index_hchc","linky_index_hchp","linky_index_ejphn","linky_index_ejphpm","linky_index_bbrhcjb","linky_index_bbrhpjb","linky_index_bbrhcjw","linky_index_bbrhpjw","linky_index_bbrhcjr","linky_index_bbrhpjr"];function He(r,e={}){let t=v(D(r)).dashboard,s=[];for(let u of C(r))s.push({type:"custom:sunshare-game-card",entry_id:u.entry_id});let i=(u,f)=>V(r,u,f),n=[...i("linky_apparent_power","sensor").map(u=>({entity:u,name:t.power})),...i("linky_net_power","sensor"),...i("linky_tariff_period","sensor"),...i("linky_tempo_today","sensor"),...i("linky_tempo_tomorrow","sensor")],o={calendar:{period:"day"}},l=[];n.length&&l.push({type:"entities",title:t.linky,entities:n});let a=(u,f)=>({type:"statistic",entity:u,...f?{name:f}:{},period:o,stat_type:"change"}),c=i("linky_index_total","sensor");if(c.length)l.push(...c.map(u=>a(u,t.import_today)));else for(let u of et)l.push(...i(u,"sensor").map(f=>a(f)));l.push(...i("linky_index_injected","sensor").map(u=>a(u,t.export_today))),s.push(...l);let p=[...i("load_shedding","switch"),...i("shedding_end","sensor"),...i("shed_energy","sensor"),...i("buzzer","siren")];p.length&&s.push({type:"entities",title:t.relay_buzzer,entities:p}),(r?.config?.components||[]).includes("energy")&&s.push({type:"energy-distribution",link_dashboard:!0});let m=i("game_peaks","calendar");return m.length&&s.push({type:"calendar",title:t.peaks,initial_view:"listWeek",entities:m}),{title:e.title||t.title,views:[{title:e.title||t.title,path:"sunshare",icon:"mdi:solar-power-variant",cards:s}]}}var tt=300*1e3,P=class extends g{static getConfigElement(){return document.createElement("sunshare-game-card-editor")}static getStubConfig(e){let t=C(e)[0];return t?{entry_id:t.entry_id}:{}}constructor(){super(),this._now=Date.now(),this._board=null,this._error=null,this._boardKey=null}setConfig(e){if(!e||typeof e!="object")throw new Error("Invalid configuration");this._config=e,this._boardKey=null}getCardSize(){return 8}getGridOptions(){return{columns:12,min_columns:6,rows:"auto"}}connectedCallback(){super.connectedCallback(),this._tick=setInterval(()=>{this._now=Date.now()},1e3),this._refresh=setInterval(()=>this._fetchBoard(),tt),this._boardKey=null}disconnectedCallback(){super.disconnectedCallback(),clearInterval(this._tick),clearInterval(this._refresh)}updated(e){if(!e.has("hass")||!this.hass)return;let t=F(this.hass,this._config),s=t?.entities.score,i=s?this.hass.states[s]:void 0,n=`${t?.entry_id}|${i?.last_updated}|${i?.state}`;n!==this._boardKey&&(this._boardKey=n,this._fetchBoard())}async _fetchBoard(){let e=this.hass&&F(this.hass,this._config);if(e)try{this._board=await this.hass.callWS({type:"sunshare/game/leaderboard",entry_id:e.entry_id}),this._error=null}catch(t){this._error=t?.message||String(t)}}_state(e){return e?this.hass.states[e]:void 0}_value(e){let t=this._state(e);return!t||["unknown","unavailable"].includes(t.state)?null:t.state}render(){if(!this.hass||!this._config)return d;let e=D(this.hass),t=v(e),s=F(this.hass,this._config);if(!s)return _`<ha-card .header=${this._config.title||t.title}>
        <div class="card-content warning">${t.no_entry}</div>
      </ha-card>`;let i=s.entities,n=this._board;return _`<ha-card .header=${this._config.title||t.title}>
      <div class="card-content">
        ${n&&n.available===!1?_`<div class="warning">${t.unavailable}</div>`:d}
        ${this._renderScore(i,t,e,n)}
        ${this._renderPodium(t,e,n)} ${this._renderGauge(i,t,e)}
        ${this._renderPeak(t,e,n)} ${this._renderAction(i,t)}
        ${this._error?_`<div class="error">${this._error}</div>`:d}
      </div>
    </ha-card>`}_renderScore(e,t,s,i){let n=Ne.filter(a=>e[`score_${a}`]),o=i?.player?.team_size,l=i?.team?.teams;return _`<div class="score">
        <div class="total">
          <span class="value">${I(this._value(e.score),s)}</span>
          <span class="unit">${t.points}</span>
          <div class="label">${t.season_score}</div>
        </div>
        <div class="ranks">
          <div>
            <span class="label">${t.rank_in_team}</span>
            <span class="rank in-team"
              >${le(this._value(e.rank_in_team)??i?.player?.rank_in_team,o,s)}</span
            >
          </div>
          <div>
            <span class="label">${t.team_rank}</span>
            <span class="rank team"
              >${le(this._value(e.team_rank)??i?.team?.rank,l,s)}</span
            >
          </div>
        </div>
      </div>
      <ul class="challenges">
        ${n.map(a=>_`<li>
              <span>${t.challenges[a]}</span
              ><span>${I(this._value(e[`score_${a}`]),s)}</span>
            </li>`)}
      </ul>`}_renderPodium(e,t,s){if(!s)return d;if(!s.team)return _`<div class="podium empty">${e.no_team}</div>`;let i=Me(s.podium);return _`<div class="podium">
      <div class="section">${e.podium} · ${s.team.name}</div>
      <ol>
        ${i.map(n=>_`<li class=${n.me?"me":""} data-place=${n.place}>
              <span class="place place-${n.place}">${n.place}</span>
              <span class="name">${n.display_name}${n.me?` (${e.you})`:""}</span>
              <span class="points">${I(n.points,t)} ${e.points}</span>
            </li>`)}
      </ol>
    </div>`}_renderGauge(e,t,s){let i=this._value(e.piggy_bank_balance),n=Re(i);if(!n)return d;let o=Math.PI*(1-n.position),l=50+40*Math.cos(o),a=50-40*Math.sin(o),c=this._state(e.piggy_bank_balance)?.attributes?.unit_of_measurement||"kWh";return _`<div class="gauge ${n.severity}">
      <div class="section">${t.piggy_bank_balance}</div>
      <svg viewBox="0 0 100 56" role="img" aria-label=${`${n.value} ${c}`}>
        ${Se`<path class="track" d="M 10 50 A 40 40 0 0 1 90 50" />
        <path class="fill" d="M 50 10 A 40 40 0 0 ${l>=50?1:0} ${l} ${a}"
          style="display:${n.value===0?"none":"inline"}" />
        <line class="needle" x1="50" y1="50" x2=${l} y2=${a} />`}
      </svg>
      <div class="gauge-value">${I(n.value,s)} ${c}</div>
      <div class="gauge-scale">
        <span>${n.min}</span><span>0</span><span>+${n.max}</span>
      </div>
    </div>`}_renderPeak(e,t,s){let i=s?.next_peak,n=Te(i,this._now,t),o=Ue(this._state(Oe(this.hass,this._config))),l={ready:e.relay_ready,shedding:e.relay_shedding,unavailable:e.relay_unavailable,none:e.relay_none}[o],a=e.no_peak;if(n.status==="upcoming"||n.status==="active"){let p=new Date(i.start).toLocaleString(t==="fr"?"fr-FR":"en-GB",{weekday:"short",hour:"2-digit",minute:"2-digit",timeZone:this.hass.locale?.time_zone==="server"?this.hass.config?.time_zone:void 0});a=_`<strong
          >${n.status==="active"?e.peak_in_progress:e.next_peak}</strong
        >
        · ${i.summary} · ${p} · <span class="countdown">${n.text}</span>`}return _`<div class="peak ${n.status}">
      <div>${a}</div>
      <div class="relay ${o}">${l}</div>
    </div>`}_renderAction(e,t){let s=this._state(e.action),i=this._state(e.declare_action);if(!s||!i)return d;let n=s.attributes?.options||[],o=s.state==="unavailable"||i.state==="unavailable";return _`<div class="action">
      <select
        aria-label=${t.action}
        .value=${s.state}
        ?disabled=${o}
        @change=${l=>this._select(e.action,l.target.value)}
      >
        <option value="" ?selected=${!n.includes(s.state)}>
          ${t.choose_action}
        </option>
        ${n.map(l=>_`<option .value=${l} ?selected=${l===s.state}>
              ${l}
            </option>`)}
      </select>
      <button
        class="declare"
        ?disabled=${o||!n.includes(s.state)}
        @click=${()=>this._declare(e.declare_action)}
      >
        ${t.declare}
      </button>
    </div>`}async _select(e,t){if(t)try{await this.hass.callService("select","select_option",{entity_id:e,option:t}),this._error=null}catch(s){this._error=s?.message||String(s)}}async _declare(e){try{await this.hass.callService("button","press",{entity_id:e}),this._error=null}catch(t){this._error=t?.message||String(t)}}};S(P,"properties",{hass:{attribute:!1},_config:{state:!0},_board:{state:!0},_now:{state:!0},_error:{state:!0}}),S(P,"styles",R`
    .card-content {
      display: flex;
      flex-direction: column;
      gap: 12px;
    }
    .score {
      display: flex;
      justify-content: space-between;
      align-items: center;
      gap: 12px;
    }
    .total .value {
      font-size: 2.4em;
      font-weight: 500;
    }
    .label,
    .section {
      color: var(--secondary-text-color);
      font-size: 0.9em;
    }
    .ranks {
      display: flex;
      flex-direction: column;
      gap: 4px;
      text-align: right;
    }
    .rank {
      font-weight: 500;
      margin-left: 6px;
    }
    ul.challenges,
    .podium ol {
      list-style: none;
      margin: 0;
      padding: 0;
    }
    ul.challenges li,
    .podium li {
      display: flex;
      justify-content: space-between;
      padding: 2px 0;
    }
    .podium li .name {
      flex: 1;
      margin-left: 8px;
    }
    .podium li.me {
      font-weight: 600;
    }
    .podium .place {
      display: inline-block;
      min-width: 1.6em;
      height: 1.6em;
      line-height: 1.6em;
      border-radius: 50%;
      text-align: center;
      font-size: 0.85em;
      font-weight: 600;
      background: var(--secondary-background-color, #eee);
    }
    .podium .place-1 {
      background: #f2c94c;
      color: #3d2f00;
    }
    .podium .place-2 {
      background: #c9ced6;
      color: #222;
    }
    .podium .place-3 {
      background: #d9a066;
      color: #3a1f00;
    }
    .gauge {
      text-align: center;
    }
    .gauge svg {
      max-width: 220px;
      width: 100%;
    }
    .gauge .track {
      fill: none;
      stroke: var(--divider-color, #ddd);
      stroke-width: 8;
    }
    .gauge .fill {
      fill: none;
      stroke-width: 8;
      stroke: var(--success-color, #43a047);
    }
    .gauge.negative .fill {
      stroke: var(--error-color, #db4437);
    }
    .gauge .needle {
      stroke: var(--primary-text-color);
      stroke-width: 2;
    }
    .gauge-value {
      font-weight: 500;
    }
    .gauge-scale {
      display: flex;
      justify-content: space-between;
      color: var(--secondary-text-color);
      font-size: 0.8em;
      max-width: 220px;
      margin: 0 auto;
    }
    .peak {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    .peak.active {
      color: var(--warning-color, #ffa600);
    }
    .relay.ready {
      color: var(--success-color, #43a047);
    }
    .relay.shedding {
      color: var(--warning-color, #ffa600);
    }
    .relay.unavailable {
      color: var(--error-color, #db4437);
    }
    .action {
      display: flex;
      gap: 8px;
    }
    .action select {
      flex: 1;
      min-width: 0;
      padding: 6px;
    }
    .warning {
      color: var(--warning-color, #ffa600);
    }
    .error {
      color: var(--error-color, #db4437);
    }
  `);var N=class extends g{setConfig(e){this._config=e}_changed(e,t){let s={...this._config};t===""||t===void 0||t===null?delete s[e]:s[e]=t,this._config=s,this.dispatchEvent(new CustomEvent("config-changed",{detail:{config:s},bubbles:!0,composed:!0}))}render(){if(!this.hass||!this._config)return d;let e=v(D(this.hass)).editor,t=C(this.hass),s=V(this.hass,"load_shedding","switch"),i=n=>this.hass.states[n]?.attributes?.friendly_name||n;return _`<div class="editor">
      <label>
        <span>${e.entry}</span>
        <select
          name="entry_id"
          @change=${n=>this._changed("entry_id",n.target.value)}
        >
          ${t.map(n=>_`<option
                .value=${n.entry_id}
                ?selected=${n.entry_id===this._config.entry_id}
              >
                ${n.name}
              </option>`)}
        </select>
      </label>
      <label>
        <span>${e.relay}</span>
        <select
          name="relay_entity"
          @change=${n=>this._changed("relay_entity",n.target.value)}
        >
          <option value="" ?selected=${!this._config.relay_entity}>—</option>
          ${s.map(n=>_`<option
                .value=${n}
                ?selected=${n===this._config.relay_entity}
              >
                ${i(n)}
              </option>`)}
        </select>
      </label>
      <label>
        <span>${e.title}</span>
        <input
          name="title"
          .value=${this._config.title||""}
          @change=${n=>this._changed("title",n.target.value)}
        />
      </label>
    </div>`}};S(N,"properties",{hass:{attribute:!1},_config:{state:!0}}),S(N,"styles",R`
    .editor {
      display: flex;
      flex-direction: column;
      gap: 12px;
    }
    label {
      display: flex;
      flex-direction: column;
      gap: 4px;
    }
    select,
    input {
      padding: 6px;
    }
  `);var G=class extends HTMLElement{static async generate(e,t){return He(t,e)}};var st=[["sunshare-game-card",P],["sunshare-game-card-editor",N],["ll-strategy-dashboard-sunshare",G]];function it(){let r=window.customElements;for(let[e,t]of st)r.get(e)||r.define(e,t)}window.customElements.whenDefined("home-assistant-main").then(it);window.customCards=window.customCards||[];window.customCards.some(r=>r.type==="sunshare-game-card")||window.customCards.push({type:"sunshare-game-card",name:"Sunshare game",description:"Season score, ranks, team podium, piggy bank, next peak and the action to declare.",preview:!1,documentationURL:"https://github.com/sunshare/sunshare/blob/main/docs/game-link.md"});
/*! Bundled license information:

@lit/reactive-element/css-tag.js:
  (**
   * @license
   * Copyright 2019 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

@lit/reactive-element/reactive-element.js:
lit-html/lit-html.js:
lit-element/lit-element.js:
  (**
   * @license
   * Copyright 2017 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)

lit-html/is-server.js:
  (**
   * @license
   * Copyright 2022 Google LLC
   * SPDX-License-Identifier: BSD-3-Clause
   *)
*/
